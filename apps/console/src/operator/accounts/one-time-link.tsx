import { useEffect, useRef } from 'react';

/**
 * An invite or reset link, shown once (the API keeps only the token's hash): selected and focused so the owner can
 * copy it at once. The token travels in the URL's fragment, which browsers never send to a server or in a Referer.
 */
export function OneTimeLink(props: { what: string; token: string; expiresAt: string; onDone: () => void }) {
  const input = useRef<HTMLInputElement>(null);
  const url = `${window.location.origin}/console/accept#token=${encodeURIComponent(props.token)}`;
  useEffect(() => {
    input.current?.focus();
    input.current?.select();
  }, []);
  return (
    <div className="notice" role="status">
      <label htmlFor="one-time-link">
        {props.what}: give this link to the person (shown once, valid until {new Date(props.expiresAt).toLocaleString()}
        )
      </label>
      <input id="one-time-link" ref={input} readOnly value={url} data-testid="one-time-link" />
      <button type="button" onClick={props.onDone}>
        Done
      </button>
    </div>
  );
}
