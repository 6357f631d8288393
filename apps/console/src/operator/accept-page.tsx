import { type FormEvent, useId, useState } from 'react';
import { ApiError, api } from '../api/http';
import { navigate } from '../router';

/**
 * Where an invited operator (or one whose password an owner reset) chooses a password: the single-use token comes
 * in the link's fragment. Reached without a session; after it the person logs in as usual.
 */
export default function AcceptPage() {
  const id = useId();
  const token = new URLSearchParams(window.location.hash.slice(1)).get('token') ?? '';
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const password = String(form.get('password') ?? '');
    if (password !== String(form.get('repeat') ?? '')) {
      setError('The two passwords differ.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api('/v1/operator/accounts/accept', { method: 'POST', body: { token, password } });
      navigate('/login?welcome=1', { replace: true });
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : 'Could not reach the server.');
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="login">
      <form onSubmit={submit} aria-labelledby={`${id}-title`}>
        <h1 id={`${id}-title`}>Choose your password</h1>
        {!token && (
          <p role="alert" className="error">
            This link has no token: open the whole link you were given.
          </p>
        )}
        <label htmlFor={`${id}-password`}>New password (at least 12 characters)</label>
        <input
          id={`${id}-password`}
          name="password"
          type="password"
          autoComplete="new-password"
          minLength={12}
          required
        />
        <label htmlFor={`${id}-repeat`}>The same password again</label>
        <input id={`${id}-repeat`} name="repeat" type="password" autoComplete="new-password" minLength={12} required />
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy || !token}>
          {busy ? 'Saving…' : 'Set password'}
        </button>
      </form>
    </main>
  );
}
