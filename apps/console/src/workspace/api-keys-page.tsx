import './workspace.css';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api } from '../api/http';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { ErrorNote } from '../ui/layout';
import type { ApiKeyList, ApiKeySummary, CreatedApiKey } from './types';
import { useRole } from './use-role';

/**
 * The workspace's API keys by name and prefix. The owner and admins create one (the whole key is shown once, right
 * here, and never again: only its hash is kept) and revoke one (confirmed; its next request is a 401).
 */
export default function ApiKeysPage() {
  const client = useQueryClient();
  const { canManage } = useRole();
  const keys = useQuery({ queryKey: ['api-keys'], queryFn: () => api<ApiKeyList>('/v1/api-keys') });
  const [name, setName] = useState('');
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const [revoking, setRevoking] = useState<ApiKeySummary | null>(null);
  const refresh = () => client.invalidateQueries({ queryKey: ['api-keys'] });
  const create = useMutation({
    mutationFn: () => api<CreatedApiKey>('/v1/api-keys', { method: 'POST', body: { name } }),
    onSuccess: (reply) => {
      setCreated(reply);
      setName('');
      void refresh();
    },
  });
  const revoke = useMutation({
    mutationFn: (key: ApiKeySummary) => api(`/v1/api-keys/${encodeURIComponent(key.id)}`, { method: 'DELETE' }),
    onSuccess: refresh,
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (name.trim()) create.mutate();
  };
  return (
    <section aria-labelledby="keys-title">
      <h1 id="keys-title">API keys</h1>
      {canManage && (
        <form className="card" aria-label="Create an API key" onSubmit={submit}>
          <label htmlFor="key-name">Name of the new key</label>
          <input id="key-name" value={name} maxLength={200} onChange={(e) => setName(e.target.value)} required />
          <button type="submit" disabled={create.isPending || !name.trim()}>
            Create key
          </button>
          <ErrorNote error={create.error} />
        </form>
      )}
      {created && (
        <div className="card secret-once" role="alert" data-testid="new-key">
          <p>
            The key <strong>{created.apiKey.name}</strong>, shown this once: copy it now.
          </p>
          <label htmlFor="new-key-value">New API key</label>
          <input id="new-key-value" readOnly value={created.key} onFocus={(e) => e.currentTarget.select()} />
          <button type="button" onClick={() => setCreated(null)}>
            I have copied it
          </button>
        </div>
      )}
      <ErrorNote error={keys.error ?? revoke.error} />
      {keys.data && (
        <table data-testid="api-keys">
          <caption className="visually-hidden">API keys, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Prefix</th>
              <th scope="col">Created by</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">State</th>
              {canManage && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {keys.data.apiKeys.map((key) => (
              <tr key={key.id} data-testid={`api-key-${key.prefix}`}>
                <td>{key.name}</td>
                <td>
                  <code>{key.prefix}</code>
                </td>
                <td>{key.createdBy ?? 'the workspace'}</td>
                <td>{new Date(key.createdAt).toLocaleString()}</td>
                <td>{key.lastUsedAt ? new Date(key.lastUsedAt).toLocaleString() : 'never'}</td>
                <td>{key.revokedAt ? `revoked ${new Date(key.revokedAt).toLocaleString()}` : 'active'}</td>
                {canManage && (
                  <td>
                    {!key.revokedAt && (
                      <button type="button" className="danger" onClick={() => setRevoking(key)}>
                        Revoke <span className="visually-hidden">{key.name}</span>
                      </button>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ConfirmDialog
        open={revoking !== null}
        title={`Revoke the key ${revoking?.name ?? ''}?`}
        confirmLabel="Revoke key"
        onCancel={() => setRevoking(null)}
        onConfirm={() => {
          if (revoking) revoke.mutate(revoking);
          setRevoking(null);
        }}
      >
        <p>Requests with it fail at once. This cannot be undone.</p>
      </ConfirmDialog>
    </section>
  );
}
