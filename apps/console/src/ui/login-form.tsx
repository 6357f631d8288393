import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { ApiError } from '../api/http';

/** Email and password, labelled, with the API's message shown in an alert region when login fails. */
export function LoginForm({
  title,
  onLogin,
  notice,
}: {
  title: string;
  onLogin: (email: string, password: string) => Promise<void>;
  /** Why the form is shown, e.g. the session ended (read out as a status). */
  notice?: string | undefined;
}) {
  const id = useId();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const email = useRef<HTMLInputElement>(null);
  useEffect(() => email.current?.focus(), []);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    try {
      await onLogin(String(form.get('email') ?? ''), String(form.get('password') ?? ''));
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : 'Could not reach the server.');
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="login">
      <form onSubmit={submit} aria-labelledby={`${id}-title`}>
        <h1 id={`${id}-title`}>{title}</h1>
        {notice && (
          <p role="status" className="notice-text">
            {notice}
          </p>
        )}
        <label htmlFor={`${id}-email`}>Email</label>
        <input id={`${id}-email`} name="email" type="email" autoComplete="username" required ref={email} />
        <label htmlFor={`${id}-password`}>Password</label>
        <input id={`${id}-password`} name="password" type="password" autoComplete="current-password" required />
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
    </main>
  );
}
