import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HealthSchema, RUN_STEP } from '@paddock/contracts';
import {
  BoxChannel,
  bootstrapBox,
  boxServeCommand,
  buildRuntimeRelease,
  deployToBox,
  type LocalRelease,
  type SshPool,
  sh,
  sshTransport,
} from '@paddock/fleet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestFleet, type TestFleet } from './support/test-boxes';
import { waitFor } from '../support/wait-for';

// The real box runtime (packages/runtime, bundled by esbuild with its PTY module), deployed to a real test box.
// These boxes use the machine's own Node (checked >= 20 by bootstrap and by the launcher) to keep the test quick;
// the benchmark deploys the release that carries its own Node binary.
let fleet: TestFleet;
let pool: SshPool;
let outDir: string;
let release: LocalRelease;

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'paddock-runtime-release-'));
  fleet = await createTestFleet(1);
  pool = fleet.pool();
  release = await buildRuntimeRelease({
    runtimeDir: join(import.meta.dirname, '../../packages/runtime'),
    outDir: join(outDir, 'rt-1'),
    version: 'rt-1',
    node: { kind: 'system' },
  });
  await bootstrapBox({ pool, target: fleet.target(fleet.boxes[0]!), systemNode: true });
});

afterAll(async () => {
  await fleet?.destroy();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

describe('the real runtime on a test box', () => {
  it('deploys, starts the daemon as the runtime user, and passes chainctl health', async () => {
    const target = fleet.target(fleet.boxes[0]!);
    const result = await deployToBox({ pool, target, release, deployId: 'runtime-1' });
    expect(result.error).toBeUndefined();
    expect(result.outcome).toBe('succeeded');
    const connection = await pool.connect(target);
    const health = HealthSchema.parse(
      JSON.parse((await connection.exec(sh`/opt/paddock/bin/paddock-service health`)).stdout),
    );
    expect(health).toMatchObject({
      ok: true,
      root: '/var/lib/paddock',
      pty: { ok: true },
      daemon: { running: true, healthy: true },
    });
    const owner = await connection.exec(sh`ps -o user= -p ${String(health.daemon.pid)}`);
    expect(owner.stdout.trim()).toBe('paddock');
    expect((await connection.exec(sh`/opt/paddock/bin/paddock-service running-release`)).stdout.trim()).toBe('rt-1');
    // The state file the deploy's health check read: this daemon, this release's script, a passed self-test.
    const state = JSON.parse((await connection.exec(sh`cat /var/lib/paddock/daemon.json`)).stdout);
    expect(state).toMatchObject({
      pid: health.daemon.pid,
      script: '/opt/paddock/releases/rt-1/lib/chainctl.cjs',
      self_test: { ok: true, problems: [] },
    });
    expect(result.logTail).toContain(`daemon ${health.daemon.pid} runs release rt-1 and passed its self-test`);
  });

  it('answers queries over one long-lived channel and resumes event streams after a drop, losing nothing', async () => {
    const box = fleet.boxes[0]!;
    let reopened = 0;
    const channel = new BoxChannel({
      boxId: box.id,
      open: sshTransport(pool, fleet.target(box), boxServeCommand()),
      reopenDelayMs: { initial: 50, max: 500 },
      onState: (state) => {
        if (state === 'open') reopened++;
      },
    });
    try {
      const health = await channel.request({ op: 'health' });
      expect(health.ok).toBe(true);
      expect(channel.hello?.root).toBe('/var/lib/paddock');

      const seen: { cursor: string; run: string; seq: number; kind: string; step: string }[] = [];
      const finished = new Map<string, () => void>();
      let lastCursor: string | undefined;
      const subscription = await channel.subscribe({
        // Consumed as soon as delivered: a reopened channel resumes after the last event seen.
        resumeFrom: () => lastCursor,
        onEvent: (event, cursor) => {
          lastCursor = cursor;
          seen.push({ cursor, run: event.run_id, seq: event.seq, kind: event.kind, step: event.step });
          if (event.step === RUN_STEP && event.kind === 'finished') finished.get(event.run_id)?.();
        },
      });
      const runChain = async (runId: string) => {
        const done = new Promise<void>((resolve) => finished.set(runId, resolve));
        const text = 'name: hello\nagents:\n  a: { run: echo hello }\n  b: { needs: [a], input: a, run: cat }\n';
        await channel.request({ op: 'run', text, inputs: {}, run_id: runId });
        await done;
      };
      await runChain('first');
      const opensBefore = reopened;
      expect(await box.dropConnections()).toBeGreaterThan(0);
      // The channel notices, reopens by itself (it has a subscription) and resumes from the last cursor.
      await waitFor('the channel to reopen', () => reopened > opensBefore && channel.isOpen, 10_000);
      await runChain('second');
      const all = await channel.request({ op: 'events', limit: 1000 });
      expect(seen.map((e) => e.cursor)).toEqual(all.events.map((e) => e.cursor));
      expect(new Set(seen.map((e) => e.cursor)).size).toBe(seen.length);
      for (const run of ['first', 'second']) {
        const kinds = seen.filter((e) => e.run === run).map((e) => `${e.step}.${e.kind}`);
        expect(kinds[0]).toBe(`${RUN_STEP}.created`);
        expect(kinds.at(-1)).toBe(`${RUN_STEP}.finished`);
        expect(kinds).toContain('b.complete');
      }
      const status = await channel.request({ op: 'status', run_id: 'second' });
      expect(status.status).toBe('succeeded');
      await subscription.close();
      await expect(channel.request({ op: 'status', run_id: 'missing' })).rejects.toMatchObject({
        failure: 'remote_error',
        remoteCode: 'not_found',
      });
    } finally {
      await channel.close();
    }
  });
});
