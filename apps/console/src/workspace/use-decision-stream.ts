import { useEffect, useState } from 'react';
import type { Decision } from '../api/types';

/**
 * The workspace's pending decisions, live: the stream sends every pending decision on connect, each new one as the box
 * writes it, and `decision_closed` when one is answered (here or anywhere else). EventSource sends the session cookie
 * and reconnects by itself; on reconnect the stream sends the pending set again, so the list is rebuilt, not patched.
 */
export function useDecisionStream(outputBytes: number): { pending: Decision[]; connected: boolean } {
  const [byId, setById] = useState<Map<string, Decision>>(new Map());
  const [connected, setConnected] = useState(false);
  useEffect(() => {
    const source = new EventSource(`/v1/decisions/stream?outputBytes=${outputBytes}`);
    source.addEventListener('open', () => {
      setConnected(true);
      setById(new Map());
    });
    source.addEventListener('error', () => setConnected(false));
    source.addEventListener('decision', (event) => {
      const decision = JSON.parse((event as MessageEvent<string>).data) as Decision;
      setById((current) => new Map(current).set(decision.id, decision));
    });
    source.addEventListener('decision_closed', (event) => {
      const { id } = JSON.parse((event as MessageEvent<string>).data) as { id: string };
      setById((current) => {
        const next = new Map(current);
        next.delete(id);
        return next;
      });
    });
    return () => source.close();
  }, [outputBytes]);
  // Oldest first: the queue is worked in the order the agents asked.
  const pending = [...byId.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  return { pending, connected };
}
