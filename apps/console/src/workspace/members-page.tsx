import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api } from '../api/http';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { ErrorNote } from '../ui/layout';
import type { InvitedMember, MemberList } from './types';
import { type MemberRole, useRole } from './use-role';

type Assignable = Exclude<MemberRole, 'owner'>;
type Member = MemberList['members'][number];
const ASSIGNABLE: Assignable[] = ['admin', 'member', 'viewer'];

/**
 * The workspace's members. The owner and admins invite (the single-use invite token is shown once, to pass on),
 * change roles and remove members (confirmed); the API keeps the rules (only the owner grants admin or touches an
 * admin; nobody changes the owner), and its refusals show here as they come.
 */
export default function MembersPage() {
  const client = useQueryClient();
  const { canManage, role: myRole } = useRole();
  const members = useQuery({ queryKey: ['members'], queryFn: () => api<MemberList>('/v1/members') });
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Assignable>('member');
  const [invited, setInvited] = useState<InvitedMember | null>(null);
  const [removing, setRemoving] = useState<Member | null>(null);
  const refresh = () => client.invalidateQueries({ queryKey: ['members'] });
  const invite = useMutation({
    mutationFn: () => api<InvitedMember>('/v1/members', { method: 'POST', body: { email, role } }),
    onSuccess: (reply) => {
      setInvited(reply);
      setEmail('');
      void refresh();
    },
  });
  const change = useMutation({
    mutationFn: ({ id, to }: { id: string; to: Assignable }) =>
      api(`/v1/members/${encodeURIComponent(id)}/role`, { method: 'PUT', body: { role: to } }),
    onSettled: refresh,
  });
  const remove = useMutation({
    mutationFn: (member: Member) => api(`/v1/members/${encodeURIComponent(member.id)}`, { method: 'DELETE' }),
    onSuccess: refresh,
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    invite.mutate();
  };
  const assignable = myRole === 'owner' ? ASSIGNABLE : ASSIGNABLE.filter((r) => r !== 'admin');
  return (
    <section aria-labelledby="members-title">
      <h1 id="members-title">Members</h1>
      {canManage && (
        <form className="card" aria-label="Invite a member" onSubmit={submit}>
          <label htmlFor="invite-email">Email</label>
          <input id="invite-email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
          <label htmlFor="invite-role">Role</label>
          <select id="invite-role" value={role} onChange={(e) => setRole(e.target.value as Assignable)}>
            {assignable.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
          <button type="submit" disabled={invite.isPending}>
            Invite
          </button>
          <ErrorNote error={invite.error} />
        </form>
      )}
      {invited && (
        <div className="card secret-once" role="alert">
          <p>
            {invited.member.email} is invited until {new Date(invited.invite.expiresAt).toLocaleString()}. Pass on this
            single-use invite token (shown once):
          </p>
          <label htmlFor="invite-token">Invite token</label>
          <input id="invite-token" readOnly value={invited.invite.token} onFocus={(e) => e.currentTarget.select()} />
          <button type="button" onClick={() => setInvited(null)}>
            Done
          </button>
        </div>
      )}
      <ErrorNote error={members.error ?? change.error ?? remove.error} />
      {members.data && (
        <table>
          <caption className="visually-hidden">Members</caption>
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">State</th>
              <th scope="col">Last login</th>
              {canManage && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {members.data.members.map((member) => {
              const editable = canManage && member.role !== 'owner';
              return (
                <tr key={member.id}>
                  <td>{member.email}</td>
                  <td>
                    {editable ? (
                      <select
                        aria-label={`Role of ${member.email}`}
                        value={member.role}
                        disabled={change.isPending}
                        onChange={(e) => change.mutate({ id: member.id, to: e.target.value as Assignable })}
                      >
                        {ASSIGNABLE.map((r) => (
                          <option key={r} value={r}>
                            {r}
                          </option>
                        ))}
                      </select>
                    ) : (
                      member.role
                    )}
                  </td>
                  <td>{member.status}</td>
                  <td>{member.lastLoginAt ? new Date(member.lastLoginAt).toLocaleString() : 'never'}</td>
                  {canManage && (
                    <td>
                      {editable && (
                        <button type="button" className="danger" onClick={() => setRemoving(member)}>
                          Remove <span className="visually-hidden">{member.email}</span>
                        </button>
                      )}
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <ConfirmDialog
        open={removing !== null}
        title={`Remove ${removing?.email ?? ''}?`}
        confirmLabel="Remove member"
        onCancel={() => setRemoving(null)}
        onConfirm={() => {
          if (removing) remove.mutate(removing);
          setRemoving(null);
        }}
      >
        <p>Their sessions end and their API keys are revoked at once.</p>
      </ConfirmDialog>
    </section>
  );
}
