import { type BoxLayout, checkLayout, DEFAULT_BOX_LAYOUT, layoutPaths } from '../deploy/box-layout';
import { LineReader } from '../line-reader';
import { discardEvents, type FleetRecorder, type ServiceMode } from '../recorder';
import { sh } from '../shell';
import type { BoxTarget } from '../ssh-options';
import type { SshPool } from '../ssh-pool';
import { bootstrapScript } from './bootstrap-script';
import { renderInfraFiles } from './infra-files';

/** A bootstrap output line longer than this is logged cut (the script prints short lines; apt's are longer). */
const BOOTSTRAP_LINE_BYTES = 64 * 1024;

export interface BootstrapStepResult {
  step: string;
  changed: boolean;
  detail: string;
}

export interface BootstrapResult {
  boxId: string;
  steps: BootstrapStepResult[];
  changed: boolean;
  serviceMode: ServiceMode;
}

export interface BootstrapOptions {
  pool: SshPool;
  target: BoxTarget;
  layout?: BoxLayout;
  recorder?: FleetRecorder;
  /** How long the runtime may drain its running steps when it is restarted. Default 30 s. */
  drainTimeoutMs?: number;
  systemNode?: boolean;
  /** Refuse the cloud metadata service to non-root users (provider boxes that have one; never local test boxes). */
  closeMetadataService?: boolean;
  onLog?: (line: string) => void;
}

/**
 * Makes a bare box ready for deploys, and is safe to run again at any time: runtime user, directories with strict
 * permissions, prerequisites, the service (systemd unit, or the runtime's own supervised daemon), sshd hardening.
 * Every step is recorded with whether it changed anything; a log line is appended on the box too, in root's own
 * install directory: appended as root in the runtime user's log directory, it would follow a symlink the user put
 * there (to /etc/sudoers, say).
 */
export async function bootstrapBox(options: BootstrapOptions): Promise<BootstrapResult> {
  const layout = checkLayout(options.layout ?? DEFAULT_BOX_LAYOUT);
  const recorder = options.recorder ?? discardEvents;
  const drainTimeoutMs = options.drainTimeoutMs ?? 30_000;
  const script = bootstrapScript({
    layout,
    files: renderInfraFiles(layout, { drainTimeoutMs, adminUser: options.target.username }),
    drainTimeoutMs,
    systemNode: options.systemNode ?? false,
    adminUser: options.target.username,
    closeMetadataService: options.closeMetadataService ?? false,
  });
  const steps: BootstrapStepResult[] = [];
  const lines = new LineReader(
    (line) => {
      const match = /^@@bootstrap (\S+) (changed|unchanged) (.*)$/.exec(line);
      if (match) steps.push({ step: match[1]!, changed: match[2] === 'changed', detail: match[3]! });
      options.onLog?.(line);
    },
    BOOTSTRAP_LINE_BYTES,
    (oversize) => options.onLog?.(`${oversize.head.slice(0, 200)}... (a line of ${oversize.bytes} bytes, cut)`),
    true,
  );
  const connection = await options.pool.connect(options.target);
  // Installing packages can take minutes on a fresh box; nothing else here takes more than seconds.
  await connection.execScript(script, { label: 'bootstrap', timeoutMs: 15 * 60_000, onStdout: (c) => lines.push(c) });
  lines.end();
  const serviceMode: ServiceMode = steps.find((s) => s.step === 'runtime-config')?.detail.includes('systemd')
    ? 'systemd'
    : 'supervised';
  const changedSteps = steps.filter((s) => s.changed).map((s) => s.step);
  const record = JSON.stringify({ at: new Date().toISOString(), changed: changedSteps, mode: serviceMode });
  await connection.exec(sh`printf '%s\\n' ${record} >> ${layoutPaths(layout).bootstrapLog}`);
  for (const s of steps) {
    await recorder.record({
      type: 'bootstrap.step',
      boxId: options.target.id,
      step: s.step,
      changed: s.changed,
      detail: s.detail,
    });
  }
  await recorder.record({ type: 'bootstrap.finished', boxId: options.target.id, changedSteps, serviceMode });
  return { boxId: options.target.id, steps, changed: changedSteps.length > 0, serviceMode };
}
