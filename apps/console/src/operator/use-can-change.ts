import { useSession } from '../api/session';

/**
 * Whether the signed-in operator may change things (owner or operator). A viewer's pages show no action at all: the
 * API refuses a viewer's writes anyway (403 insufficient_role), so hiding them only spares a pointless click.
 */
export function useCanChange(): boolean {
  const session = useSession('operator');
  const operator = session.data && 'operator' in session.data ? session.data.operator : null;
  return operator !== null && operator.role !== 'viewer';
}
