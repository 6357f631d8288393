import { useEffect, useState } from 'react';
import type { RolloutDetail } from '../api/types';

/**
 * A rollout live, from its Server-Sent Events stream (each `rollout` event is its whole state). EventSource sends the
 * session cookie itself and reconnects when the API closes a long stream; it is closed once the rollout has ended.
 */
export function useRolloutStream(id: string | null): { rollout: RolloutDetail | null; live: boolean } {
  const [rollout, setRollout] = useState<RolloutDetail | null>(null);
  const [live, setLive] = useState(false);
  useEffect(() => {
    setRollout(null);
    if (!id) return;
    const source = new EventSource(`/v1/operator/rollouts/${encodeURIComponent(id)}/events`);
    source.addEventListener('open', () => setLive(true));
    source.addEventListener('rollout', (event) => {
      const next = JSON.parse((event as MessageEvent<string>).data) as RolloutDetail;
      setRollout(next);
      if (next.finishedAt) {
        source.close();
        setLive(false);
      }
    });
    return () => {
      source.close();
      setLive(false);
    };
  }, [id]);
  return { rollout, live };
}
