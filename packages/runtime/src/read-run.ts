import { readdirSync, readFileSync } from 'node:fs';
import { AppError, type ChainDefinition, isDecisionStep, parseChainDefinition, RUN_STEP } from '@paddock/contracts';
import { type RunEvents, readRunEvents } from './event-store';
import { isValidRunId, rootLayout, runLayout } from './paths';
import { foldRunState, type RunState } from './run-state';

export interface LoadedRun {
  runId: string;
  chain: ChainDefinition;
  events: RunEvents;
  state: RunState;
}

/** The frozen chain of a run (parsed again: it was valid when the run was created). */
export function readRunChain(root: string, runId: string): ChainDefinition {
  if (!isValidRunId(runId)) throw new AppError('bad_request', `invalid run id ${JSON.stringify(runId)}`);
  const layout = runLayout(root, runId);
  let text: string;
  try {
    text = readFileSync(layout.chainFile, 'utf8');
  } catch {
    throw new AppError('not_found', `run ${runId} not found under ${rootLayout(root).runsDir}`);
  }
  const cached = parsedChains.get(text);
  if (cached) return cached;
  const parsed = parseChainDefinition(text, layout.chainFile);
  if (!parsed.ok) throw new AppError('unprocessable', `run ${runId}: frozen chain.yaml no longer validates`);
  if (parsedChains.size >= PARSED_CHAINS_LIMIT) parsedChains.clear();
  parsedChains.set(text, deepFreeze(parsed.chain));
  return parsed.chain;
}

/**
 * Runs of one chain share its frozen text, and parsing YAML costs ~1 ms: a daemon picking up a thousand runs would
 * spend a second parsing the same text. A successful parse depends only on the text, so it is kept (frozen, as every
 * run shares it).
 */
const parsedChains = new Map<string, ChainDefinition>();
const PARSED_CHAINS_LIMIT = 256;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

export function loadRun(root: string, runId: string): LoadedRun {
  const chain = readRunChain(root, runId);
  const events = readRunEvents(root, runId);
  return { runId, chain, events, state: foldRunState(runId, chain, events.events) };
}

export function listRunIds(root: string): string[] {
  try {
    return readdirSync(rootLayout(root).runsDir).filter(isValidRunId).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** The shape of `chainctl status RUN --json` (RunReportSchema in @paddock/contracts). */
export function runStatusJson(run: LoadedRun) {
  const { state, chain, events } = run;
  const steps = [...state.steps.values()].map((s) => {
    const def = chain.agents[s.name];
    const decision = def && isDecisionStep(def) ? def.decision : undefined;
    const usageEvents = events.events.filter((e) => e.step === s.name);
    const sum = (field: 'input_tokens' | 'output_tokens' | 'tokens_used' | 'cost_usd') =>
      usageEvents.reduce((acc, e) => acc + (e[field] ?? 0), 0);
    return {
      step: s.name,
      type: decision ? ('decision' as const) : ('agent' as const),
      status: s.status,
      attempt: s.attempt,
      started_at: s.startedAt,
      finished_at: s.finishedAt,
      exit_code: s.exitCode,
      duration_seconds: s.durationSeconds,
      error: s.error,
      output_path: s.outputPath,
      model: usageEvents.findLast((e) => e.model)?.model ?? null,
      input_tokens: sum('input_tokens'),
      output_tokens: sum('output_tokens'),
      tokens_used: sum('tokens_used'),
      cost_usd: sum('cost_usd'),
      decision: s.decision,
      pending:
        decision && s.status === 'waiting'
          ? {
              prompt: decision.prompt,
              options: decision.options,
              deadline: s.deadline,
              approvers: decision.approvers ?? null,
              show: decision.show ?? null,
            }
          : null,
    };
  });
  return {
    run_id: run.runId,
    chain: chain.name,
    chain_version: state.chainVersion,
    status: state.status,
    finished: state.finished,
    created_at: state.createdAt,
    updated_at: state.updatedAt,
    last_seq: state.lastSeq,
    steps,
    usage: state.usage,
    malformed: events.malformed,
    unknown_steps: [
      ...new Set(events.events.filter((e) => e.step !== RUN_STEP && !(e.step in chain.agents)).map((e) => e.step)),
    ],
  };
}
