import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, setCsrfToken } from './http';
import type {
  OperatorBrowserSession,
  OperatorCurrentSession,
  TenantBrowserSession,
  TenantCurrentSession,
} from './types';

/** The two kinds of people: operators (/console/...) and workspace members (/console/app/...). */
export type Area = 'operator' | 'workspace';

const CURRENT: Record<Area, string> = { operator: '/v1/operator/sessions/current', workspace: '/v1/sessions/current' };
const LOGIN: Record<Area, string> = { operator: '/v1/operator/sessions', workspace: '/v1/sessions' };

export type CurrentSession = OperatorCurrentSession | TenantCurrentSession;

/** Who is logged in to this area; keeps the session's CSRF token for the requests that follow. */
export function useSession(area: Area) {
  return useQuery({
    queryKey: ['session', area],
    // Answers nulls (not a 401) when nobody is signed in, so a first visit logs no failed request.
    queryFn: async (): Promise<CurrentSession> => {
      const session = await api<CurrentSession>(CURRENT[area]);
      setCsrfToken(area, session.csrfToken);
      return session;
    },
    staleTime: Number.POSITIVE_INFINITY,
    retry: false,
  });
}

export function useLogin(area: Area) {
  const client = useQueryClient();
  return async (email: string, password: string) => {
    const session = await api<OperatorBrowserSession | TenantBrowserSession>(LOGIN[area], {
      method: 'POST',
      body: { email, password },
      headers: { 'x-paddock-session': 'cookie' },
    });
    setCsrfToken(area, session.csrfToken);
    await client.invalidateQueries({ queryKey: ['session', area] });
  };
}

export function useLogout(area: Area) {
  const client = useQueryClient();
  return async () => {
    await api(`${LOGIN[area]}/current`, { method: 'DELETE' });
    setCsrfToken(area, null);
    client.clear();
  };
}
