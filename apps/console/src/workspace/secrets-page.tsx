import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api } from '../api/http';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { ErrorNote } from '../ui/layout';
import type { SecretList } from './types';
import { useRole } from './use-role';

/**
 * Secrets by name only: the API never answers a value. Members set one (a new value replaces the old) and delete
 * one (confirmed); the value field is a password field and is emptied once sent.
 */
export default function SecretsPage() {
  const client = useQueryClient();
  const { canAct } = useRole();
  const secrets = useQuery({ queryKey: ['secrets'], queryFn: () => api<SecretList>('/v1/secrets') });
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const [deleting, setDeleting] = useState<string | null>(null);
  const refresh = () => client.invalidateQueries({ queryKey: ['secrets'] });
  const put = useMutation({
    mutationFn: () => api(`/v1/secrets/${encodeURIComponent(name)}`, { method: 'PUT', body: { value } }),
    onSuccess: () => {
      setName('');
      setValue('');
      void refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (secret: string) => api(`/v1/secrets/${encodeURIComponent(secret)}`, { method: 'DELETE' }),
    onSuccess: refresh,
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    put.mutate();
  };
  return (
    <section aria-labelledby="secrets-title">
      <h1 id="secrets-title">Secrets</h1>
      <p className="muted">Your agents see these as environment variables. Values are never shown again.</p>
      {canAct && (
        <form className="card" aria-label="Set a secret" onSubmit={submit}>
          <label htmlFor="secret-name">Name</label>
          <input
            id="secret-name"
            value={name}
            pattern="[A-Za-z_][A-Za-z0-9_]{0,99}"
            title="letters, digits and _, not starting with a digit"
            onChange={(e) => setName(e.target.value)}
            required
          />
          <label htmlFor="secret-value">Value</label>
          <input
            id="secret-value"
            type="password"
            autoComplete="off"
            value={value}
            onChange={(e) => setValue(e.target.value)}
            required
          />
          <button type="submit" disabled={put.isPending}>
            Save secret
          </button>
          <ErrorNote error={put.error} />
        </form>
      )}
      <ErrorNote error={secrets.error ?? remove.error} />
      {secrets.data &&
        (secrets.data.secrets.length === 0 ? (
          <p>No secrets yet.</p>
        ) : (
          <table>
            <caption className="visually-hidden">Secrets</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Last changed</th>
                {canAct && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {secrets.data.secrets.map((secret) => (
                <tr key={secret.name}>
                  <td>
                    <code>{secret.name}</code>
                  </td>
                  <td>{new Date(secret.updatedAt).toLocaleString()}</td>
                  {canAct && (
                    <td>
                      <button type="button" className="danger" onClick={() => setDeleting(secret.name)}>
                        Delete <span className="visually-hidden">{secret.name}</span>
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        ))}
      <ConfirmDialog
        open={deleting !== null}
        title={`Delete the secret ${deleting ?? ''}?`}
        confirmLabel="Delete secret"
        onCancel={() => setDeleting(null)}
        onConfirm={() => {
          if (deleting) remove.mutate(deleting);
          setDeleting(null);
        }}
      >
        <p>Agents started after this no longer see it.</p>
      </ConfirmDialog>
    </section>
  );
}
