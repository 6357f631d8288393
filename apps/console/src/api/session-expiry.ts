import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { onUnauthorized, setCsrfToken } from './http';
import type { Area, CurrentSession } from './session';

const NOBODY: Record<Area, CurrentSession> = {
  operator: { operator: null, csrfToken: null },
  workspace: { caller: null, csrfToken: null },
};

/**
 * When the API answers 401 to a signed-in area (its cookie expired, was revoked, or the account was disabled), the
 * area shows its login form again, at the same address: once the person logs in, the page they were on loads again.
 * Cached reads of the ended session are dropped (they are the old session's and must not flash back). Answers
 * whether the session just ended (for the login form to say so) and a way to clear that.
 */
export function useSessionExpiry(area: Area): [boolean, () => void] {
  const client = useQueryClient();
  const [expired, setExpired] = useState(false);
  useEffect(
    () =>
      onUnauthorized((hit) => {
        if (hit !== area) return;
        const current = client.getQueryData<CurrentSession>(['session', area]);
        const signedIn = current && ('operator' in current ? current.operator : current.caller);
        // A 401 with nobody signed in (a wrong password at the login form) is not an expiry.
        if (!signedIn) return;
        setCsrfToken(area, null);
        client.removeQueries({ predicate: (query) => query.queryKey[0] !== 'session' });
        client.setQueryData(['session', area], NOBODY[area]);
        setExpired(true);
      }),
    [client, area],
  );
  return [expired, () => setExpired(false)];
}
