import type { ServiceClients } from '../clients';

/**
 * Runs `work` holding the rollout's session-level advisory lock, on a connection of its own. A second job of the
 * same rollout (a resume while the paused batch is still finishing, a next-batch job next to a taken-over one)
 * waits for the lock, then re-reads the rollout and goes on from where it stands: jobs of one rollout run one after
 * another, never beside each other, and none is lost. A worker that dies loses its connection and with it the
 * lock, so the job that takes over finds it free: there is no lease to expire and no time to wait.
 */
export async function withRolloutLock<T>(
  { pg: pool }: Pick<ServiceClients, 'pg'>,
  rolloutId: string,
  work: () => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let clean = false;
  // The connection lives as long as the job: if it dies (PostgreSQL restarting), 'error' is emitted on the client,
  // which must not end the worker; the unlock below then fails and the client is discarded.
  const onError = () => {
    clean = false;
  };
  client.on('error', onError);
  try {
    await client.query(`SELECT pg_advisory_lock(hashtextextended('rollout:' || $1, 0))`, [rolloutId]);
    try {
      return await work();
    } finally {
      clean = await client
        .query(`SELECT pg_advisory_unlock(hashtextextended('rollout:' || $1, 0))`, [rolloutId])
        .then(() => true)
        .catch(() => false);
    }
  } finally {
    client.off('error', onError);
    // A connection that may still hold the lock is closed rather than pooled: closing it frees the lock.
    client.release(clean ? undefined : true);
  }
}
