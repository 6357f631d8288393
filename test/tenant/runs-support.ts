import { type RunEvent, RunEventSchema } from '@paddock/contracts';
import type { BoxGateway } from '@paddock/services';
import pg from 'pg';
import { ingestEvents } from '../../packages/services/src/collect/ingest-events';
import type { TestApp } from '../../apps/api/src/test-app';

const OWNER = 'api-test-collector';

/**
 * What the collector does for one box, done on demand: read the box's events after the stored cursor (over the same
 * serve channel the API uses) and store them with the collector's real ingestion (events, runs, steps, decisions).
 */
export class BoxSync {
  readonly pool: pg.Pool;

  constructor(
    t: TestApp,
    private readonly boxes: BoxGateway,
  ) {
    this.pool = new pg.Pool({ connectionString: t.databaseUrl, max: 2 });
  }

  async claim(boxId: string, tenantId: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO collector_cursors (box_id, tenant_id, cursor, owner_id, lease_expires_at)
       VALUES ($1, $2, '', $3, now() + interval '1 hour')`,
      [boxId, tenantId, OWNER],
    );
  }

  /** Stores every event the box has that Postgres lacks; returns how many were new. */
  async sync(boxId: string, tenantId: string): Promise<number> {
    let inserted = 0;
    for (;;) {
      const stored = await this.pool.query<{ cursor: string }>(
        'SELECT cursor FROM collector_cursors WHERE box_id = $1',
        [boxId],
      );
      const fromCursor = stored.rows[0]?.cursor ?? '';
      const page = await this.boxes.request(boxId, {
        op: 'events',
        ...(fromCursor ? { since: fromCursor } : {}),
        limit: 500,
      });
      if (page.events.length === 0) return inserted;
      const events: RunEvent[] = page.events.map(({ cursor: _cursor, ...event }) => RunEventSchema.parse(event));
      const result = await ingestEvents(this.pool, {
        boxId,
        tenantId,
        ownerId: OWNER,
        fromCursor,
        toCursor: page.cursor,
        events,
      });
      inserted += result.inserted;
    }
  }

  /** Syncs until `check` holds (the box works on its own clock), or fails naming `what`. */
  async until<T>(
    what: string,
    boxId: string,
    tenantId: string,
    check: () => Promise<T | undefined | false>,
    timeoutMs = 90_000,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.sync(boxId, tenantId);
      const value = await check();
      if (value !== undefined && value !== false) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

export const USAGE = (n: number) =>
  `echo '::usage {"model":"m-${n}","input_tokens":${n * 10},"output_tokens":${n},"cost_usd":0.00${n}}'`;

/** A chain that drafts, waits for a person who sees the draft, then publishes. */
export const REVIEW_CHAIN = `name: review
agents:
  draft:
    run: ${USAGE(1)}; echo "draft about $(cat)"
    input: { run_input: topic }
  review:
    needs: [draft]
    decision: { prompt: Publish the draft?, show: draft }
  publish:
    needs: [review]
    run: ${USAGE(2)}; echo published
`;
