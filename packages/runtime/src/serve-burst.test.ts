import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import type { Daemon } from './daemon';
import { finished, startTestDaemon } from './daemon-test-support';
import { rootLayout } from './paths';
import { expectWhole, ONE_STEP_CHAIN } from './run-creation-test-support';
import { CHAINCTL_ARGV, type TempBox, tempBox } from './test-support';

let box: TempBox;
let daemon: Daemon | undefined;
afterEach(async () => {
  await daemon?.stop(0);
  daemon = undefined;
  box?.cleanup();
});

const CHAIN = ONE_STEP_CHAIN;

/**
 * Starts `chainctl serve --stdio`, sends `first` run requests, and once `killAfter` answers came back sends `second`
 * more and kills the process with SIGKILL at once: it dies with requests staged, committing and unread.
 */
async function burstThenKill(
  root: string,
  prefix: string,
  first: number,
  second: number,
  killAfter: number,
): Promise<string[]> {
  const [exe, ...args] = CHAINCTL_ARGV;
  const serve = spawn(exe as string, [...args, 'serve', '--stdio', '--root', root], {
    env: { PATH: process.env.PATH },
  });
  const answered: string[] = [];
  const request = (i: number) => JSON.stringify({ v: 1, id: i, op: 'run', text: CHAIN, run_id: `${prefix}${i}` });
  const exited = new Promise((resolve) => serve.on('exit', resolve));
  createInterface({ input: serve.stdout }).on('line', (line) => {
    const message = JSON.parse(line) as { type: string; ok?: boolean; result?: { run_id: string } };
    if (message.type === 'hello') {
      serve.stdin.write(`${Array.from({ length: first }, (_, i) => request(i)).join('\n')}\n`);
      return;
    }
    if (message.type !== 'response' || !message.ok || !message.result) return;
    answered.push(message.result.run_id);
    if (answered.length === killAfter) {
      serve.stdin.write(`${Array.from({ length: second }, (_, i) => request(first + i)).join('\n')}\n`);
      serve.kill('SIGKILL');
    }
  });
  await exited;
  return answered;
}

describe('serve: a burst of runs killed mid-commit', () => {
  it('every answered run exists whole and runs after a restart; no run is half-written', async () => {
    box = tempBox();
    const answered: string[] = [];
    // Killed at different points of a burst, into the same root: after the first answer, mid-burst, near its end.
    for (const [prefix, killAfter] of [
      ['a', 1],
      ['b', 25],
      ['c', 45],
    ] as const) {
      const got = await burstThenKill(box.root, prefix, 50, 50, killAfter);
      expect(got.length).toBeGreaterThanOrEqual(killAfter);
      answered.push(...got);
    }
    const runs = readdirSync(rootLayout(box.root).runsDir);
    for (const id of answered) expect(runs).toContain(id);
    // Whatever was published is whole, answered or not (a kill between the rename and the answer).
    for (const id of runs) expectWhole(box.root, id);
    // A daemon started afterwards clears the killed writer's staging and runs every published run to the end.
    daemon = await startTestDaemon(box, 64);
    expect(readdirSync(rootLayout(box.root).incomingDir)).toEqual([]);
    for (const id of runs) expect((await finished(box, id, 60_000)).state.status).toBe('succeeded');
  }, 120_000);
});
