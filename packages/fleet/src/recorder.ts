/**
 * Everything the fleet layer wants kept: audit entries, alerts, deploy rows and their log tails. The fleet package
 * knows nothing of Postgres; the service layer implements `FleetRecorder` with Prisma (and tests collect the events
 * in an array). `record` is awaited, so an audit entry is durable before the action it describes goes on.
 */
export type FleetEvent =
  | {
      type: 'host_key.trusted_on_first_use';
      boxId: string;
      address: string;
      fingerprint: string;
    }
  | {
      type: 'host_key.mismatch';
      boxId: string;
      address: string;
      expected: string;
      presented: string;
    }
  | {
      type: 'bootstrap.step';
      boxId: string;
      step: string;
      changed: boolean;
      detail: string;
    }
  | {
      type: 'bootstrap.finished';
      boxId: string;
      changedSteps: string[];
      serviceMode: ServiceMode;
    }
  | {
      type: 'deploy.started';
      deployId: string;
      boxId: string;
      version: string;
      /** `deploy` or an on-demand `rollback`. */
      kind: 'deploy' | 'rollback';
    }
  | {
      type: 'deploy.step';
      deployId: string;
      boxId: string;
      step: DeployStep;
      status: 'started' | 'succeeded' | 'failed' | 'skipped';
      detail?: string;
    }
  | {
      type: 'deploy.finished';
      deployId: string;
      boxId: string;
      version: string;
      outcome: DeployOutcome;
      /** What `current` pointed to before, and what it points to now (as far as we know: null when unknown). */
      previousVersion: string | null;
      activeVersion: string | null;
      bytesUploaded: number;
      filesUploaded: number;
      logTail: string;
      error?: { failure: string; message: string };
    }
  | {
      type: 'rollout.progress';
      rolloutId: string;
      version: string;
      done: number;
      total: number;
      failed: number;
      phase: 'canary' | 'fleet';
    }
  | {
      type: 'rollout.stopped';
      rolloutId: string;
      version: string;
      reason: string;
    }
  | {
      type: 'secrets.pushed';
      boxId: string;
      /** Names only: values never leave `pushSecrets`. */
      names: string[];
    };

export type ServiceMode = 'systemd' | 'supervised';

export type DeployStep =
  | 'lock'
  | 'inspect'
  | 'upload'
  | 'verify'
  | 'assemble'
  | 'activate'
  | 'restart'
  | 'health'
  | 'rollback'
  | 'prune';

export type DeployOutcome = 'succeeded' | 'unchanged' | 'rolled_back' | 'failed';

export interface FleetRecorder {
  record(event: FleetEvent): void | Promise<void>;
}

/** For callers that keep no records (scripts, the benchmark). Tests use a collector to check what was recorded. */
export const discardEvents: FleetRecorder = { record: () => {} };
