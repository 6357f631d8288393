import { type AgentStep, type ChainDefinition, durationMs } from '@paddock/contracts';
import type { BoxConfig } from './box-config';

/** One watchdog limit as it applies to a step: the text the author (or the box) wrote, for messages, and its ms. */
export interface StepLimit {
  text: string;
  ms: number;
}

export interface StepLimits {
  idle: StepLimit | undefined;
  timeout: StepLimit | undefined;
}

/** The step's own value, else its chain's `defaults`, else the box's; `none` at any level switches that limit off. */
export function stepLimits(step: AgentStep, chain: ChainDefinition, box: BoxConfig): StepLimits {
  return {
    idle: limit(step.idle_timeout ?? chain.defaults?.idle_timeout ?? box.idle_timeout),
    timeout: limit(step.timeout ?? chain.defaults?.timeout ?? box.timeout),
  };
}

function limit(text: string): StepLimit | undefined {
  return text === 'none' ? undefined : { text, ms: durationMs(text) };
}
