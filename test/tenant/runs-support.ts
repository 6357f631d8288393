import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { type RunEvent, RunEventSchema } from '@paddock/contracts';
import {
  bootstrapBox,
  buildRuntimeRelease,
  type ChannelTransport,
  deployToBox,
  type ExecResult,
  type OpenTransport,
  type ShellCommand,
} from '@paddock/fleet';
import type { LocalBox } from '@paddock/providers';
import { type BoxGateway, ingestEvents } from '@paddock/services';
import pg from 'pg';
import type { TestApp, TestAppOptions } from '../../apps/api/src/test-app';
import { createTestFleet, type TestFleet } from '../fleet/support/test-boxes';
import { registerTestBox, type SignedUp, signUp, startTenantTestApp } from './support';
import { waitFor } from '../support/wait-for';

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
      const result = await ingestEvents(
        { pg: this.pool },
        {
          boxId,
          tenantId,
          ownerId: OWNER,
          fromCursor,
          toCursor: page.cursor,
          events,
        },
      );
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
    return waitFor(
      what,
      async () => {
        await this.sync(boxId, tenantId);
        return check();
      },
      timeoutMs,
      50,
    );
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

export const USAGE = (n: number) =>
  `echo '::usage {"model":"m-${n}","input_tokens":${n * 10},"output_tokens":${n},"cost_usd":0.00${n}}'`;

/**
 * Prices for the models USAGE reports (`m-1`, `m-2`, ...): 100 micros per input token, output free, so a step's
 * charge equals what its box reports (n x 10 tokens, $0.00n) and runs of REVIEW_CHAIN cost 3,000 micros. Without
 * a price the control plane charges nothing (the usage is stored unpriced): the box's own figure is never billed.
 */
export async function priceUsageModels(prisma: import('@paddock/db').PrismaClient, count = 3): Promise<void> {
  for (let n = 1; n <= count; n++) {
    await prisma.modelPrice.create({
      data: {
        model: `m-${n}`,
        currency: 'USD',
        inputMicrosPerMillion: 100_000_000n,
        outputMicrosPerMillion: 0n,
        cachedInputMicrosPerMillion: 100_000_000n,
        effectiveFrom: new Date('2000-01-01T00:00:00Z'),
        createdBy: 'test',
      },
    });
  }
}

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

/** A tenant whose box is a real test box (sshd on loopback) with the runtime release deployed, reached over SSH. */
export interface SshRunsWorld {
  fleet: TestFleet;
  box: LocalBox;
  t: TestApp;
  sync: BoxSync;
  tenant: SignedUp;
  boxId: string;
  /** A root shell on the box, as the control plane logs in (for tests that tamper with the box). */
  rootExec(command: ShellCommand): Promise<ExecResult>;
  close(): Promise<void>;
}

/**
 * What runs-ssh.test.ts sets up, for the other SSH tests: a test box bootstrapped and deployed, the API reaching it
 * the production way (box row → decrypted key → pinned host key → `paddock-service serve`), and a collector stand-in.
 */
export async function startSshRunsWorld(
  label: string,
  options: { boxConnector?: TestAppOptions['boxConnector']; terminals?: TestAppOptions['terminals'] } = {},
): Promise<SshRunsWorld> {
  const outDir = mkdtempSync(join(tmpdir(), `paddock-${label}-`));
  const fleet = await createTestFleet(1);
  const cleanups: (() => Promise<void>)[] = [
    async () => rmSync(outDir, { recursive: true, force: true }),
    () => fleet.destroy(),
  ];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  };
  try {
    const box = fleet.boxes[0];
    if (!box) throw new Error('no test box');
    const pool = fleet.pool();
    const release = await buildRuntimeRelease({
      runtimeDir: join(import.meta.dirname, '../../packages/runtime'),
      outDir: join(outDir, 'rt'),
      version: `rt-${label}`,
      node: { kind: 'system' },
    });
    await bootstrapBox({ pool, target: fleet.target(box), systemNode: true });
    const deployed = await deployToBox({ pool, target: fleet.target(box), release, deployId: label });
    if (deployed.outcome !== 'succeeded') throw new Error(`deploy ${deployed.outcome}`);

    const t = await startTenantTestApp({
      ...(options.boxConnector ? { boxConnector: options.boxConnector } : {}),
      ...(options.terminals ? { terminals: options.terminals } : {}),
    });
    cleanups.push(() => t.close());
    const sync = new BoxSync(t, t.boxes);
    cleanups.push(() => sync.close());
    const tenant = await signUp(t.app, label);
    const boxId = await registerTestBox(t, tenant.tenantId, box, fleet.loginKey);
    await sync.claim(boxId, tenant.tenantId);
    await priceUsageModels(t.prisma);
    return {
      fleet,
      box,
      t,
      sync,
      tenant,
      boxId,
      rootExec: async (command) => (await pool.connect(fleet.target(box))).exec(command, { okExitCodes: [0, 1, 2] }),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** What a `LossyLink` does to the next request of one op (then it disarms). */
export interface LossyLinkPlan {
  op: string;
  /**
   * `lose_answer`: the request reaches the box, its answer is dropped and `cut` ends the link (the box acted, the
   * control plane never heard). `dead_link`: `cut` ends the link before the request, and the channel hears of it only
   * when it writes the request (a link that died silently between two requests).
   */
  mode: 'lose_answer' | 'dead_link';
}

/**
 * A serve channel's transport with a switch for the failures a real link has: an answer lost with its connection, or
 * a connection that died silently. `cut` is what ends the link (close the local process, or kill the box's SSH
 * sessions); everything else passes through untouched.
 */
export class LossyLink {
  private plan: LossyLinkPlan | undefined;
  /** Requests the plan hit, for tests to check the failure really happened. */
  hits = 0;

  constructor(private readonly cut: (transport: ChannelTransport) => Promise<void>) {}

  arm(plan: LossyLinkPlan): void {
    this.plan = plan;
  }

  wrap(open: OpenTransport): OpenTransport {
    return async () => {
      const inner = await open();
      const stdout = new PassThrough();
      let lostId: unknown;
      let innerClosed = false;
      let releaseClosed: () => void = () => {};
      const closed = new Promise<void>((resolve) => {
        releaseClosed = resolve;
      });
      // While a `dead_link` plan waits for its request, the channel is not told the link is gone.
      let silent = false;
      void inner.closed.then(() => {
        innerClosed = true;
        if (!silent) releaseClosed();
      });
      const lines = lineSplitter((line) => {
        if (lostId !== undefined && line.includes('"type":"response"')) {
          const id = (JSON.parse(line) as { id?: unknown }).id;
          if (id === lostId) {
            lostId = undefined;
            this.hits++;
            void this.cut(inner);
            return;
          }
        }
        stdout.write(`${line}\n`);
      });
      inner.stdout.on('data', (chunk: Buffer) => lines(chunk));
      inner.stdout.on('end', () => stdout.end());
      const stdin = new Writable({
        write: (chunk: Buffer, _encoding, callback) => {
          const text = chunk.toString('utf8');
          const plan = this.plan;
          const request =
            plan && text.includes(`"op":"${plan.op}"`) ? (JSON.parse(text) as { id: unknown }) : undefined;
          if (plan && request) {
            this.plan = undefined;
            if (plan.mode === 'lose_answer') {
              lostId = request.id;
            } else {
              this.hits++;
              silent = true;
              // The request goes nowhere; the channel learns of the dead link only now, as a real one would.
              void this.cut(inner).then(async () => {
                await inner.closed;
                silent = false;
                releaseClosed();
              });
              callback();
              return;
            }
          }
          if (innerClosed) return callback();
          inner.stdin.write(chunk, () => callback());
        },
        final: (callback) => {
          inner.stdin.end();
          callback();
        },
      });
      return { stdin, stdout, closed, stderrTail: inner.stderrTail, close: inner.close };
    };
  }
}

function lineSplitter(onLine: (line: string) => void): (chunk: Buffer) => void {
  let rest = '';
  return (chunk) => {
    const text = rest + chunk.toString('utf8');
    const lines = text.split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  };
}
