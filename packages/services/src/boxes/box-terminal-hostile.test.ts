import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAppError } from '@paddock/contracts';
import { type ChannelTransport, localProcessTransport } from '@paddock/fleet';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '@paddock/testkit/vitest';
import { BoxGateway } from './box-gateway';
import { localGatewayConnector } from './gateway-connectors';
import type { BoxTerminalEnd } from './box-terminal';

// What a tampered box's serve process may send on a terminal stream (a real process writing the lines): every rule
// of the stream is checked on this side, and the stream ends (closing the box's process) instead of passing on
// anything out of order, oversized or beyond the stream's allowance.
const SERVE = join(import.meta.dirname, 'hostile-terminal-serve.cjs');
const gateways: BoxGateway[] = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.close()));
});

const b64 = (text: string) => Buffer.from(text).toString('base64');

function hostile(plan: { answer: object; lines: object[]; flood?: { from: number; blockedFile?: string } }) {
  const transports: ChannelTransport[] = [];
  const open = localProcessTransport([process.execPath, SERVE], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOSTILE_PLAN: JSON.stringify(plan) },
  });
  const gateway = new BoxGateway({
    connector: localGatewayConnector(() => async () => {
      const transport = await open();
      transports.push(transport);
      return transport;
    }),
  });
  gateways.push(gateway);
  const chunks: Buffer[] = [];
  let end: BoxTerminalEnd | undefined;
  const openTerminal = (maxBytes = 1 << 20, tailBytes = 1 << 20, onChunk?: () => void) =>
    gateway.openTerminal(
      'box',
      { runtimeRunId: 'run-1', step: 'paint', maxBytes, tailBytes },
      {
        onChunk: (_offset, data) => {
          chunks.push(Buffer.from(data));
          onChunk?.();
        },
        onEnd: (e) => {
          end = e;
        },
      },
    );
  return {
    openTerminal,
    transports,
    bytes: () => Buffer.concat(chunks),
    ended: () => waitFor('the stream to end', () => end),
  };
}

describe('a tampered box on a terminal stream', () => {
  it('takes pushes that come in the same read as the answer, in order', async () => {
    const box = hostile({
      answer: { attempt: 1, size: 6, start: 0 },
      lines: [
        { type: 'terminal', offset: 0, data: b64('abc') },
        { type: 'terminal', offset: 3, data: b64('def') },
        { type: 'terminal_end', offset: 6, reason: 'ended', status: 'complete' },
      ],
    });
    const terminal = await box.openTerminal();
    terminal.begin();
    expect(await box.ended()).toMatchObject({ reason: 'ended', offset: 6 });
    expect(box.bytes().toString()).toBe('abcdef');
  });

  it('ends the stream at a gap, an overlap or a malformed chunk, passing on nothing after it', async () => {
    for (const [lines, passed] of [
      [
        [
          { type: 'terminal', offset: 0, data: b64('abc') },
          { type: 'terminal', offset: 5, data: b64('x') },
        ],
        'abc',
      ],
      [
        [
          { type: 'terminal', offset: 0, data: b64('abc') },
          { type: 'terminal', offset: 1, data: b64('bc') },
        ],
        'abc',
      ],
      [[{ type: 'terminal', offset: 0, data: 'not base64!' }], ''],
      [[{ type: 'terminal', offset: 0, data: Buffer.alloc(70_000).toString('base64') }], ''],
      [[{ type: 'terminal_end', offset: 9, reason: 'ended', status: 'complete' }], ''],
    ] as const) {
      const box = hostile({ answer: { attempt: 1, size: 3, start: 0 }, lines: [...lines] });
      const terminal = await box.openTerminal();
      terminal.begin();
      expect((await box.ended()).reason).toBe('protocol');
      expect(box.bytes().toString()).toBe(passed);
      await box.transports[0]?.closed;
    }
  });

  it('cuts a box that sends without end at the stream allowance and ends its process', async () => {
    const box = hostile({ answer: { attempt: 1, size: 0, start: 0 }, lines: [], flood: { from: 0 } });
    const terminal = await box.openTerminal(1_000_000);
    terminal.begin();
    expect(await box.ended()).toMatchObject({ reason: 'limit', offset: 1_000_000 });
    expect(box.bytes().length).toBe(1_000_000);
    await box.transports[0]?.closed;
  });

  it('stops reading the box while paused: the box waits on its full pipe, nothing piles up here', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'terminal-pause-'));
    const blockedFile = join(dir, 'blocked');
    try {
      const box = hostile({ answer: { attempt: 1, size: 0, start: 0 }, lines: [], flood: { from: 0, blockedFile } });
      let paused = false;
      const terminal = await box.openTerminal(8 << 20, 1 << 20, () => {
        if (paused) return;
        paused = true;
        terminal.pause(); // as the route does when the HTTP socket cannot take more
      });
      terminal.begin();
      // The box has written well past what was delivered and now waits on its pipe.
      const blockedAt = await waitFor('the box to wait on its pipe', () => {
        const at = existsSync(blockedFile) ? Number(readFileSync(blockedFile, 'utf8')) : 0;
        return at >= 4 * 65_536 && at;
      });
      expect(box.bytes().length).toBe(65_536);
      expect(blockedAt).toBeLessThan(8 << 20);
      terminal.resume();
      expect(await box.ended()).toMatchObject({ reason: 'limit', offset: 8 << 20 });
      expect(box.bytes().length).toBe(8 << 20);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses an answer that replays more than asked, or starts past the end', async () => {
    for (const answer of [
      { attempt: 1, size: 5_000, start: 0 },
      { attempt: 1, size: 10, start: 11 },
    ]) {
      const box = hostile({ answer, lines: [] });
      const error = await box.openTerminal(1 << 20, 1_000).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isAppError(error) && error.code).toBe('box_unavailable');
      await box.transports[0]?.closed;
    }
  });
});
