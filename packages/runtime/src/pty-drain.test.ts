import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AgentSpawner, launchAgent } from './launch-agent';
import { drainAfterHangup } from './pty-drain';
import { openPty } from './pty-open';

describe('drainAfterHangup', () => {
  it('reads everything a closed terminal still holds, then reports EIO', async () => {
    const pair = openPty(80, 24);
    // 10 KB: more than the line discipline's 4 KB (a PTY holds ~12 KB in all), so part of it waits in the terminal's
    // buffer, as at an agent's exit.
    const child = spawn('head', ['-c', '10000', '/dev/zero'], { stdio: ['ignore', pair.slave, 'ignore'] });
    closeSync(pair.slave);
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    let bytes = 0;
    const how = drainAfterHangup(pair.master, (chunk) => {
      bytes += chunk.length;
    });
    closeSync(pair.master);
    expect({ how, bytes }).toEqual({ how: 'eio', bytes: 10_000 });
  });
});

describe('launchAgent capture at the agent exit', () => {
  it('keeps every byte when the agent is gone before the daemon first reads its terminal (libuv reports EOF early)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pty-drain-'));
    try {
      // What a loaded daemon sees: the agent wrote 10 KB and exited, its slave is closed, and only then does the loop
      // read. The first read returns at most 4 KB with POLLHUP set, which libuv takes for end-of-file.
      const exitedFirst: AgentSpawner = async (pair) => {
        const ran = spawnSync('head', ['-c', '10000', '/dev/zero'], { stdio: ['ignore', pair.slave, 'ignore'] });
        closeSync(pair.slave);
        return {
          pid: ran.pid,
          forkedAtMs: Date.now(),
          exit: Promise.resolve({ code: ran.status, signal: null }),
        };
      };
      const ptyLog = join(dir, 'pty.log');
      const agent = launchAgent({ command: 'unused', cwd: dir, env: {}, ptyLog }, exitedFirst);
      const exit = await agent.done;
      expect(exit).toMatchObject({ exitCode: 0, bytes: 10_000 });
      expect(statSync(ptyLog).size).toBe(10_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
