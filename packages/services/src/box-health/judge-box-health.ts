import type { Health } from '@paddock/contracts';

/** What a box must show to count as `ready`. Every field has a production default (DEFAULT_BOX_HEALTH_RULES). */
export interface BoxHealthRules {
  /** The daemon writes a heartbeat every few seconds; one older than this means it hangs. Default 60 s. */
  heartbeatStaleMs: number;
  /** Share of the state disk in use from which runs may fail to write their events. Default 0.95. */
  diskFullRatio: number;
  /**
   * inotify limits below which the runtime's file watches (event journals, chain files) start failing: the kernel
   * defaults are 8192 watches and 128 instances; a box tuned below these minimums is judged unhealthy.
   */
  minInotifyWatches: number;
  minInotifyInstances: number;
}

export const DEFAULT_BOX_HEALTH_RULES: BoxHealthRules = {
  heartbeatStaleMs: 60_000,
  diskFullRatio: 0.95,
  minInotifyWatches: 1_024,
  minInotifyInstances: 16,
};

export interface BoxHealthFacts {
  health: Health;
  diskUsedBytes?: bigint | null;
  diskTotalBytes?: bigint | null;
  inotifyMaxUserWatches?: number | null;
  inotifyMaxUserInstances?: number | null;
}

export interface BoxHealthJudgement {
  status: 'ready' | 'unhealthy';
  /** Why it is unhealthy, one short phrase per problem (empty when ready). */
  problems: string[];
}

/**
 * A box that answered: `ready` when its daemon runs with a fresh heartbeat, its PTYs and state directory work, its
 * disk has room and its inotify limits suffice; otherwise `unhealthy`, with every reason. (A box that does not answer
 * at all is judged by the silence sweep: `unreachable`.) Figures the box did not report are not held against it.
 */
export function judgeBoxHealth(facts: BoxHealthFacts, rules: BoxHealthRules = DEFAULT_BOX_HEALTH_RULES) {
  const problems: string[] = [];
  const { daemon } = facts.health;
  if (!daemon.running) problems.push('runtime daemon not running');
  else if (daemon.heartbeat_age_ms === null || daemon.heartbeat_age_ms > rules.heartbeatStaleMs) {
    const age = daemon.heartbeat_age_ms === null ? 'missing' : `${Math.round(daemon.heartbeat_age_ms / 1000)} s old`;
    problems.push(`daemon heartbeat ${age}`);
  }
  if (!facts.health.pty.ok)
    problems.push(`ptys unusable${facts.health.pty.error ? `: ${facts.health.pty.error}` : ''}`);
  if (!facts.health.root_writable) problems.push('runtime state directory not writable');
  const used = facts.diskUsedBytes;
  const total = facts.diskTotalBytes;
  if (used != null && total != null && total > 0n && Number(used) / Number(total) >= rules.diskFullRatio) {
    problems.push(`state disk ${Math.floor((Number(used) / Number(total)) * 100)}% full`);
  }
  const watches = facts.inotifyMaxUserWatches;
  if (watches != null && watches < rules.minInotifyWatches) problems.push(`inotify max_user_watches ${watches}`);
  const instances = facts.inotifyMaxUserInstances;
  if (instances != null && instances < rules.minInotifyInstances) {
    problems.push(`inotify max_user_instances ${instances}`);
  }
  return { status: problems.length === 0 ? 'ready' : 'unhealthy', problems } satisfies BoxHealthJudgement;
}
