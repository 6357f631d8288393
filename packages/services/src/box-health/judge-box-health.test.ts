import type { Health } from '@paddock/contracts';
import { describe, expect, it } from 'vitest';
import { judgeBoxHealth } from './judge-box-health';

const healthy: Health = {
  ok: true,
  version: '1',
  protocol: 1,
  root: '/var/lib/paddock',
  node: 'v22',
  daemon: {
    running: true,
    healthy: true,
    pid: 10,
    started_at: null,
    heartbeat_age_ms: 1_000,
    active_runs: 0,
    running_steps: 0,
    queued_steps: 0,
    max_parallel: 4,
  },
  pty: { ok: true, error: null },
  root_writable: true,
  problems: [],
};

describe('judgeBoxHealth', () => {
  it('is ready when the daemon beats, ptys work and disk and inotify suffice', () => {
    expect(
      judgeBoxHealth({
        health: healthy,
        diskUsedBytes: 10n,
        diskTotalBytes: 100n,
        inotifyMaxUserWatches: 8192,
        inotifyMaxUserInstances: 128,
      }),
    ).toEqual({ status: 'ready', problems: [] });
  });

  it('names every problem of an unhealthy box', () => {
    const judged = judgeBoxHealth({
      health: { ...healthy, daemon: { ...healthy.daemon, running: false }, pty: { ok: false, error: 'ENOSYS' } },
      diskUsedBytes: 97n,
      diskTotalBytes: 100n,
      inotifyMaxUserWatches: 100,
      inotifyMaxUserInstances: 1,
    });
    expect(judged.status).toBe('unhealthy');
    expect(judged.problems).toEqual([
      'runtime daemon not running',
      'ptys unusable: ENOSYS',
      'state disk 97% full',
      'inotify max_user_watches 100',
      'inotify max_user_instances 1',
    ]);
  });

  it('holds a stale or missing heartbeat against a running daemon', () => {
    const stale = { ...healthy, daemon: { ...healthy.daemon, heartbeat_age_ms: 600_000 } };
    expect(judgeBoxHealth({ health: stale }).problems).toEqual(['daemon heartbeat 600 s old']);
    const missing = { ...healthy, daemon: { ...healthy.daemon, heartbeat_age_ms: null } };
    expect(judgeBoxHealth({ health: missing }).problems).toEqual(['daemon heartbeat missing']);
  });
});
