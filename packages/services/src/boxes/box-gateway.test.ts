import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { isAppError } from '@paddock/contracts';
import type { OpenTransport } from '@paddock/fleet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalRuntime, type LocalRuntime } from '@paddock/testkit';
import { BoxGateway } from './box-gateway';
import { localGatewayConnector } from './gateway-connectors';

// The gateway against a real `chainctl serve --stdio` (a local process per channel, as SSH would start on a box).
let runtime: LocalRuntime;
let opened = 0;
const counted: OpenTransport = async () => {
  opened++;
  return runtime.serve();
};

beforeAll(() => {
  runtime = createLocalRuntime('gateway-');
});
afterAll(async () => {
  await runtime?.cleanup();
});

async function appError(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isAppError(error)) throw new Error(`expected an AppError, got ${String(error)}`);
  return error;
}

describe('BoxGateway', () => {
  it('opens one channel per box lazily, reuses it, and closes it when idle', async () => {
    opened = 0;
    const gateway = new BoxGateway({ connector: localGatewayConnector(() => counted), idleCloseMs: 300 });
    try {
      expect(gateway.openBoxes).toEqual([]);
      const [a, b] = await Promise.all([
        gateway.request('box-1', { op: 'list' }),
        gateway.request('box-1', { op: 'health' }),
      ]);
      expect(a.runs).toEqual([]);
      expect(b.protocol).toBe(1);
      expect(opened).toBe(1);
      expect(gateway.openBoxes).toEqual(['box-1']);
      const deadline = Date.now() + 10_000;
      while (gateway.openBoxes.length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(gateway.openBoxes).toEqual([]);
      await gateway.request('box-1', { op: 'list' });
      expect(opened).toBe(2);
    } finally {
      await gateway.close();
    }
  });

  it("maps the runtime's refusals to their HTTP meaning and an unreachable box to 503 box_unavailable", async () => {
    const gateway = new BoxGateway({
      connector: localGatewayConnector((boxId) =>
        boxId === 'down'
          ? async () => {
              throw new Error('connect ECONNREFUSED 127.0.0.1:1');
            }
          : runtime.serve,
      ),
    });
    try {
      const missing = await appError(gateway.request('up', { op: 'status', run_id: 'nosuch' }));
      expect(missing.code).toBe('not_found');
      const invalid = await appError(gateway.request('up', { op: 'run', text: 'name: x\nagents: {}\n' }));
      expect(invalid.code).toBe('unprocessable');
      const down = await appError(gateway.request('down', { op: 'list' }));
      expect(down).toMatchObject({ code: 'box_unavailable', status: 503 });
      expect(down.message).not.toContain('ECONNREFUSED');
    } finally {
      await gateway.close();
    }
  });

  it('reads a step output from under the runtime root only, cut at maxBytes, never through a symlink', async () => {
    const gateway = new BoxGateway({ connector: localGatewayConnector(() => runtime.serve) });
    try {
      await gateway.request('b', {
        op: 'run',
        text: 'name: echo\nagents:\n  say:\n    run: printf hello-world\n',
        run_id: 'echo-1',
      });
      // No daemon runs here: the step never starts, so there is no output yet.
      expect(await gateway.readStepOutput('b', 'echo-1', 'say', 100)).toBeUndefined();
      runtime.file('root/runs/echo-1/steps/say/output', 'hello-world');
      const file = await gateway.readStepOutput('b', 'echo-1', 'say', 5);
      const chunks: Buffer[] = [];
      for await (const chunk of file?.stream ?? []) chunks.push(chunk as Buffer);
      expect({ size: file?.size, text: Buffer.concat(chunks).toString() }).toEqual({ size: 11, text: 'hello' });
      expect(await gateway.readStepOutput('b', '../../etc', 'passwd', 100)).toBeUndefined();
      expect(await gateway.readStepOutput('b', 'echo-1', '../x', 100)).toBeUndefined();
      // An agent swapping its output for a symlink gets nothing served, wherever the link points.
      const secret = runtime.file('secret.txt', 'not for the tenant');
      rmSync(join(runtime.root, 'runs/echo-1/steps/say/output'));
      symlinkSync(secret, join(runtime.root, 'runs/echo-1/steps/say/output'));
      expect(await gateway.readStepOutput('b', 'echo-1', 'say', 100)).toBeUndefined();
      // Nor a directory or a FIFO in its place (the FIFO must not hang the read).
      rmSync(join(runtime.root, 'runs/echo-1/steps/say/output'));
      mkdirSync(join(runtime.root, 'runs/echo-1/steps/say/output'));
      expect(await gateway.readStepOutput('b', 'echo-1', 'say', 100)).toBeUndefined();
      rmSync(join(runtime.root, 'runs/echo-1/steps/say/output'), { recursive: true });
      execFileSync('mkfifo', [join(runtime.root, 'runs/echo-1/steps/say/output')]);
      expect(await gateway.readStepOutput('b', 'echo-1', 'say', 100)).toBeUndefined();
    } finally {
      await gateway.close();
    }
  });
});
