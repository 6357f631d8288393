import { useSession } from '../api/session';

export type MemberRole = 'owner' | 'admin' | 'member' | 'viewer';

/**
 * What the signed-in member may do, to decide which actions show. Only a hint for the screen: the API enforces the
 * same rules (a viewer's write is a 403 insufficient_role), so a hidden button never is the protection.
 */
export function useRole(): { role: MemberRole; canAct: boolean; canManage: boolean } {
  const session = useSession('workspace');
  const caller = session.data && 'caller' in session.data ? session.data.caller : null;
  // A key that belongs to nobody acts as an admin (the API's rule); the console signs people in, so this is rare.
  const role: MemberRole = caller?.user?.role ?? 'admin';
  return { role, canAct: role !== 'viewer', canManage: role === 'owner' || role === 'admin' };
}
