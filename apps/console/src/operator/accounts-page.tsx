import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api } from '../api/http';
import type {
  InviteReply,
  OperatorAccount,
  OperatorAccountList,
  OperatorRole,
  ResetReply,
} from '../api/operator-pages-types';
import { useSession } from '../api/session';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { ErrorNote } from '../ui/layout';
import { OneTimeLink } from './accounts/one-time-link';

const ROLES: OperatorRole[] = ['owner', 'operator', 'viewer'];

type Pending = { kind: 'disable' | 'reset'; account: OperatorAccount } | null;

/**
 * Operator accounts. Every role may read the list (the API's rule); only an owner sees the controls: invite, change
 * a role, disable or enable, reset a password. The API enforces the same rules (and keeps the last owner), so a
 * hidden button is a convenience, never the guard. An invite or reset answers a single-use link once: it is shown
 * here once, to hand to the person.
 */
export default function AccountsPage() {
  const client = useQueryClient();
  const session = useSession('operator');
  const me = session.data && 'operator' in session.data ? session.data.operator : null;
  const accounts = useQuery({
    queryKey: ['operator-accounts'],
    queryFn: () => api<OperatorAccountList>('/v1/operator/accounts'),
  });
  const [pending, setPending] = useState<Pending>(null);
  const [link, setLink] = useState<{ what: string; token: string; expiresAt: string } | null>(null);
  const refresh = () => client.invalidateQueries({ queryKey: ['operator-accounts'] });

  const invite = useMutation({
    mutationFn: (body: { email: string; role: OperatorRole; name?: string }) =>
      api<InviteReply>('/v1/operator/accounts', { method: 'POST', body }),
    onSuccess: (reply) => setLink({ what: `Invite for ${reply.operator.email}`, ...reply.invite }),
    onSettled: refresh,
  });
  const change = useMutation({
    mutationFn: (input: { id: string; action: 'disable' | 'enable' | 'reset-password' | OperatorRole }) =>
      ROLES.includes(input.action as OperatorRole)
        ? api<OperatorAccount>(`/v1/operator/accounts/${input.id}/role`, {
            method: 'PUT',
            body: { role: input.action },
          })
        : api<OperatorAccount | ResetReply>(`/v1/operator/accounts/${input.id}/${input.action}`, { method: 'POST' }),
    onSuccess: (reply) => {
      if ('reset' in reply) setLink({ what: `Password reset for ${reply.operator.email}`, ...reply.reset });
    },
    onSettled: refresh,
  });

  const list = accounts.data?.operators ?? [];
  const isOwner = list.some((account) => account.id === me?.id && account.role === 'owner');
  const submitInvite = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const name = String(form.get('name') ?? '').trim();
    invite.mutate({
      email: String(form.get('email') ?? '').trim(),
      role: String(form.get('role')) as OperatorRole,
      ...(name ? { name } : {}),
    });
    event.currentTarget.reset();
  };

  return (
    <section aria-labelledby="accounts-title">
      <h1 id="accounts-title">Operator accounts</h1>
      {!isOwner && accounts.data && <p className="muted">Only an owner can invite or change operators.</p>}
      <ErrorNote error={accounts.error ?? change.error ?? invite.error} />
      {link && <OneTimeLink {...link} onDone={() => setLink(null)} />}
      {isOwner && (
        <form className="filters" aria-label="Invite an operator" onSubmit={submitInvite}>
          <label htmlFor="invite-email">Email</label>
          <input id="invite-email" name="email" type="email" required />
          <label htmlFor="invite-name">Name (optional)</label>
          <input id="invite-name" name="name" type="text" maxLength={200} />
          <label htmlFor="invite-role">Role</label>
          <select id="invite-role" name="role" defaultValue="operator">
            {ROLES.map((role) => (
              <option key={role} value={role}>
                {role}
              </option>
            ))}
          </select>
          <button type="submit" disabled={invite.isPending}>
            Invite
          </button>
        </form>
      )}
      {accounts.data && (
        <table>
          <caption className="visually-hidden">Operator accounts, oldest first</caption>
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col">Last login</th>
              {isOwner && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {list.map((account) => (
              <tr key={account.id} data-testid={`account-${account.email}`}>
                <td>
                  {account.email}
                  {account.id === me?.id ? ' (you)' : ''}
                </td>
                <td>{account.name ?? '—'}</td>
                <td>
                  {isOwner && account.id !== me?.id ? (
                    <select
                      aria-label={`Role of ${account.email}`}
                      value={account.role}
                      disabled={change.isPending}
                      onChange={(event) =>
                        change.mutate({ id: account.id, action: event.currentTarget.value as OperatorRole })
                      }
                    >
                      {ROLES.map((role) => (
                        <option key={role} value={role}>
                          {role}
                        </option>
                      ))}
                    </select>
                  ) : (
                    account.role
                  )}
                </td>
                <td>
                  <span className={`status status-${account.status}`}>{account.status.replace('_', ' ')}</span>
                </td>
                <td>{account.lastLoginAt ? new Date(account.lastLoginAt).toLocaleString() : 'never'}</td>
                {isOwner && (
                  <td>
                    <div className="actions">
                      {account.id !== me?.id &&
                        (account.status === 'disabled' ? (
                          <button type="button" onClick={() => change.mutate({ id: account.id, action: 'enable' })}>
                            Enable <span className="visually-hidden">{account.email}</span>
                          </button>
                        ) : (
                          <button type="button" onClick={() => setPending({ kind: 'disable', account })}>
                            Disable <span className="visually-hidden">{account.email}</span>
                          </button>
                        ))}
                      <button type="button" onClick={() => setPending({ kind: 'reset', account })}>
                        Reset password <span className="visually-hidden">of {account.email}</span>
                      </button>
                    </div>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ConfirmDialog
        open={pending !== null}
        title={
          pending?.kind === 'disable'
            ? `Disable ${pending.account.email}?`
            : pending
              ? `Reset the password of ${pending.account.email}?`
              : ''
        }
        confirmLabel={pending?.kind === 'disable' ? 'Disable' : 'Reset password'}
        onCancel={() => setPending(null)}
        onConfirm={() => {
          if (pending) {
            change.mutate({
              id: pending.account.id,
              action: pending.kind === 'disable' ? 'disable' : 'reset-password',
            });
          }
          setPending(null);
        }}
      >
        <p>
          {pending?.kind === 'disable'
            ? 'They cannot log in any more, and every session they have ends now.'
            : 'Their password and every session stop working now; they choose a new password with the link shown next.'}
        </p>
      </ConfirmDialog>
    </section>
  );
}
