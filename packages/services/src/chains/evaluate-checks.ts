import type { ReferenceCheck } from '@paddock/contracts';
import { type BoxLayout, checkLayout, type SshConnection, sh } from '@paddock/fleet';
import { runScriptAsRuntime } from './run-as-runtime';

export interface CheckOutcome {
  step: string;
  kind: 'contains' | 'notContains' | 'matches' | 'command';
  passed: boolean;
  detail: string | null;
}

/** Outputs larger than this are checked on their first MAX_OUTPUT_BYTES bytes (contains / notContains). */
export const MAX_OUTPUT_BYTES = 1 << 20;
const CHECK_TIMEOUT_SECONDS = 60;
const RUN_ID = /^[A-Za-z0-9_-]{1,128}$/;
const STEP = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * Evaluates a staging run's checks on the box. Everything that touches the box runs as the runtime user (outputs are
 * files the run's agents could have replaced by symlinks); `matches` runs `grep -E` there, so a pathological pattern
 * costs the tenant's box, never the control plane; `command` runs like a step's `check`.
 */
export async function evaluateChecks(
  connection: SshConnection,
  layout: BoxLayout,
  runId: string,
  checks: readonly ReferenceCheck[],
): Promise<CheckOutcome[]> {
  const root = checkLayout(layout).dataDir;
  if (!RUN_ID.test(runId)) throw new Error(`run id ${JSON.stringify(runId)} is not a runtime run id`);
  const outputs = new Map<string, string | null>();
  const results: CheckOutcome[] = [];
  for (const check of checks) {
    if (!STEP.test(check.step)) {
      results.push({ step: check.step, kind: kindOf(check), passed: false, detail: 'not a step name' });
      continue;
    }
    const output = `${root}/runs/${runId}/steps/${check.step}/output`;
    if (check.contains !== undefined || check.notContains !== undefined) {
      if (!outputs.has(check.step)) outputs.set(check.step, await readOutput(connection, layout, output));
      const text = outputs.get(check.step) ?? null;
      const kind = check.contains !== undefined ? 'contains' : 'notContains';
      const needle = (check.contains ?? check.notContains) as string;
      if (text === null) {
        results.push({ step: check.step, kind, passed: false, detail: `step ${check.step} has no output` });
        continue;
      }
      const found = text.includes(needle);
      const passed = kind === 'contains' ? found : !found;
      const detail = passed ? null : `output ${found ? 'contains' : 'does not contain'} ${excerpt(needle)}`;
      results.push({ step: check.step, kind, passed, detail });
    } else if (check.matches !== undefined) {
      results.push(await grepCheck(connection, layout, output, check.step, check.matches));
    } else if (check.command !== undefined) {
      results.push(await commandCheck(connection, layout, { root, runId, step: check.step, output }, check.command));
    }
  }
  return results;
}

function kindOf(check: ReferenceCheck): CheckOutcome['kind'] {
  if (check.contains !== undefined) return 'contains';
  if (check.notContains !== undefined) return 'notContains';
  return check.matches !== undefined ? 'matches' : 'command';
}

async function readOutput(connection: SshConnection, layout: BoxLayout, path: string): Promise<string | null> {
  const result = await runScriptAsRuntime(
    connection,
    layout,
    sh`test -f ${path} || exit 3; head -c ${String(MAX_OUTPUT_BYTES)} -- ${path}`,
    { okExitCodes: [0, 3], captureLimit: MAX_OUTPUT_BYTES + 4096, label: 'read a staging output' },
  );
  return result.exitCode === 3 ? null : result.stdout;
}

async function grepCheck(
  connection: SshConnection,
  layout: BoxLayout,
  path: string,
  step: string,
  pattern: string,
): Promise<CheckOutcome> {
  const result = await runScriptAsRuntime(
    connection,
    layout,
    sh`test -f ${path} || exit 3; timeout ${String(CHECK_TIMEOUT_SECONDS)} grep -Eq -e ${pattern} -- ${path}`,
    { okExitCodes: [0, 1, 2, 3, 124], label: 'match a staging output' },
  );
  const detail: Record<number, string> = {
    1: `no line of the output matches ${excerpt(pattern)}`,
    2: `${excerpt(pattern)} is not a valid extended regular expression: ${result.stderr.trim().slice(-200)}`,
    3: `step ${step} has no output`,
    124: `matching took longer than ${CHECK_TIMEOUT_SECONDS} s`,
  };
  const passed = result.exitCode === 0;
  return { step, kind: 'matches', passed, detail: passed ? null : (detail[result.exitCode] ?? 'grep failed') };
}

async function commandCheck(
  connection: SshConnection,
  layout: BoxLayout,
  at: { root: string; runId: string; step: string; output: string },
  command: string,
): Promise<CheckOutcome> {
  const work = `${at.root}/runs/${at.runId}/work`;
  // A clean environment, as the runtime gives its steps: nothing of the SSH session or of root leaks in.
  const script = sh`test -f ${at.output} || exit 203
cd ${work} 2>/dev/null || cd /
exec env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$HOME" LANG=C.UTF-8 CHAIN_ROOT=${at.root} CHAIN_RUN_ID=${at.runId} CHAIN_STEP=${at.step} CHAIN_OUTPUT=${at.output} timeout ${String(CHECK_TIMEOUT_SECONDS)} sh -c ${command} < ${at.output} 2>&1`;
  const result = await runScriptAsRuntime(connection, layout, script, {
    okExitCodes: Array.from({ length: 256 }, (_, i) => i),
    captureLimit: 64 * 1024,
    label: 'staging check command',
  });
  if (result.exitCode === 0) return { step: at.step, kind: 'command', passed: true, detail: null };
  if (result.exitCode === 203) {
    return { step: at.step, kind: 'command', passed: false, detail: `step ${at.step} has no output` };
  }
  const why = result.exitCode === 124 ? `timed out after ${CHECK_TIMEOUT_SECONDS} s` : `exit ${result.exitCode}`;
  const tail = result.stdout.trim().slice(-300);
  return { step: at.step, kind: 'command', passed: false, detail: tail ? `${why}: ${tail}` : why };
}

function excerpt(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}
