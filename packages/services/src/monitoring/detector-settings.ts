import {
  type BoxRuntimeConfig,
  type CostDriftConfig,
  DEFAULT_BOX_RUNTIME,
  DEFAULT_COST_DRIFT,
  DEFAULT_MODEL_HEALTH,
  DEFAULT_PROMPT_DRIFT,
  DEFAULT_QUALITY,
  type ModelHealthConfig,
  type PromptDriftConfig,
  type QualityConfig,
} from '@paddock/monitoring';

/** Every detector's thresholds in one object, so a deployment (or a test) can tune one without touching the rest. */
export interface DetectorSettings {
  cost: CostDriftConfig;
  quality: QualityConfig;
  model: ModelHealthConfig;
  prompt: PromptDriftConfig;
  box: BoxRuntimeConfig;
}

export const DEFAULT_DETECTOR_SETTINGS: DetectorSettings = {
  cost: DEFAULT_COST_DRIFT,
  quality: DEFAULT_QUALITY,
  model: DEFAULT_MODEL_HEALTH,
  prompt: DEFAULT_PROMPT_DRIFT,
  box: DEFAULT_BOX_RUNTIME,
};

/** How far back a round reads chain history: the longest baseline plus its current window. */
export function chainLookbackMs(settings: DetectorSettings): number {
  const { quality, prompt, cost } = settings;
  return Math.max(
    (cost.baselineDays + 1) * 86_400_000,
    quality.windows.baselineMs + quality.windows.currentMs,
    prompt.windows.baselineMs + prompt.windows.currentMs,
  );
}
