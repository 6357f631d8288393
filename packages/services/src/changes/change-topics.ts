import type { PoolClient } from 'pg';

/** The one Postgres NOTIFY channel through which writers tell API processes that a tenant's data changed. */
export const CHANGES_CHANNEL = 'paddock_changes';

/**
 * What changed, as a topic a reader can wait on: a tenant's decisions (one appeared, was answered or went away),
 * one run (its status or its events), or one fleet rollout (a box of it moved on). Payloads carry ids only, never data: readers query what they are allowed to.
 */
export type ChangeTopic =
  | { kind: 'decisions'; tenantId: string }
  | { kind: 'run'; runId: string }
  | { kind: 'rollout'; rolloutId: string };

export function topicKey(topic: ChangeTopic): string {
  switch (topic.kind) {
    case 'decisions':
      return `decisions:${topic.tenantId}`;
    case 'run':
      return `run:${topic.runId}`;
    case 'rollout':
      return `rollout:${topic.rolloutId}`;
  }
}

/**
 * Announces changes from inside the writing transaction: Postgres delivers the notifications when (and only if) it
 * commits, so a reader woken by one always finds the rows. Identical payloads in one transaction are delivered once.
 */
export async function notifyChanges(client: PoolClient, topics: ChangeTopic[]): Promise<void> {
  if (topics.length === 0) return;
  const keys = [...new Set(topics.map(topicKey))];
  await client.query('SELECT pg_notify($1, key) FROM unnest($2::text[]) AS key', [CHANGES_CHANNEL, keys]);
}
