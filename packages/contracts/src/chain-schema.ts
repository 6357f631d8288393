import { z } from 'zod';
import { DurationSchema, WatchdogLimitSchema } from './chain-duration';

/**
 * Step names become file names (`steps/<step>/`, `.events/<seq>-<step>.<kind>.json`), so they are restricted to a
 * set that cannot traverse paths, cannot be confused with the `.`-separated event kind and needs no shell quoting.
 */
export const STEP_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
export const StepNameSchema = z
  .string()
  .regex(STEP_NAME_PATTERN, 'must be 1-64 characters of letters, digits, "-" or "_", starting with a letter or digit');

/** A file the chain references (a prompt): relative to the chain file, never escaping its directory. */
export const ChainFilePathSchema = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !p.split(/[\\/]/).includes('..') && !p.includes('\0'), {
    message: 'must be a relative path inside the chain directory (no "..", not absolute)',
  });

export const DEFAULT_DECISION_OPTIONS = ['approve', 'reject', 'request_changes'] as const;

const OptionNameSchema = z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, 'must be lower_snake_case, e.g. "approve"');

export const InputSourceSchema = z.union([
  StepNameSchema,
  z.strictObject({ from: StepNameSchema }),
  z.strictObject({ file: ChainFilePathSchema }),
  z.strictObject({ run_input: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an input key') }),
]);
export type InputSource = z.infer<typeof InputSourceSchema>;

export const BackoffSchema = z.union([
  DurationSchema,
  z.strictObject({
    delay: DurationSchema,
    factor: z.number().min(1).max(10).default(2),
    max: DurationSchema.optional(),
  }),
]);
export type Backoff = z.infer<typeof BackoffSchema>;

export const WhenSchema = z.strictObject({
  decision: StepNameSchema,
  option: z.union([OptionNameSchema, z.array(OptionNameSchema).min(1)]),
});
export type When = z.infer<typeof WhenSchema>;

const EnvSchema = z.record(
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'),
  z.union([z.string(), z.number(), z.boolean()]).transform(String),
);

const StepCommonShape = {
  needs: z.array(StepNameSchema).default([]),
  when: WhenSchema.optional(),
};

export const DecisionSchema = z.strictObject({
  prompt: z.string().min(1),
  options: z
    .array(OptionNameSchema)
    .min(1)
    .default([...DEFAULT_DECISION_OPTIONS]),
  timeout: DurationSchema.optional(),
  on_timeout: OptionNameSchema.optional(),
  approvers: z.array(z.string().min(1)).min(1).optional(),
  show: StepNameSchema.optional(),
});
export type Decision = z.infer<typeof DecisionSchema>;

export const DecisionStepSchema = z.strictObject({ ...StepCommonShape, decision: DecisionSchema });
export type DecisionStep = z.infer<typeof DecisionStepSchema>;

export const AgentStepSchema = z.strictObject({
  ...StepCommonShape,
  run: z.string({ error: 'is required: the command line that starts the agent' }).min(1),
  prompt: ChainFilePathSchema.optional(),
  input: z.union([InputSourceSchema, z.array(InputSourceSchema).min(1)]).optional(),
  env: EnvSchema.optional(),
  workdir: z
    .string()
    .min(1)
    .refine((p) => !p.split(/[\\/]/).includes('..'), { message: 'must not contain ".."' })
    .optional(),
  /**
   * Where the agent's stdin comes from when it has no `input`: the outputs of its `needs` (in order), else nothing
   * (EOF at once). `terminal` keeps the live terminal as stdin instead, for an interactive program a person attaches to.
   */
  stdin: z
    .literal('terminal', {
      error:
        'must be "terminal" (the live terminal as stdin); leave it out to read `input`, else the outputs of `needs`, else nothing',
    })
    .optional(),
  timeout: WatchdogLimitSchema.optional(),
  idle_timeout: WatchdogLimitSchema.optional(),
  retries: z.number().int().min(0).max(100).default(0),
  backoff: BackoffSchema.optional(),
  check: z.string().min(1).optional(),
  model: z.string().min(1).optional(),
});
export type AgentStep = z.infer<typeof AgentStepSchema>;

export type ChainStep = AgentStep | DecisionStep;

/**
 * Steps one chain may define. Checking references walks each step's upstream graph, which grows with the square of
 * the step count (a 5,000-step chain of needs took 8 s); no real chain comes near this.
 */
export const MAX_CHAIN_STEPS = 500;

/** The chain's own watchdog defaults for its agent steps (a step's own value wins; else the box-wide default). */
export const ChainDefaultsSchema = z.strictObject({
  timeout: WatchdogLimitSchema.optional(),
  idle_timeout: WatchdogLimitSchema.optional(),
});
export type ChainDefaults = z.infer<typeof ChainDefaultsSchema>;

export const ChainDefinitionSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$/, 'must be 1-100 characters, starting with a letter'),
  description: z.string().optional(),
  env: EnvSchema.optional(),
  defaults: ChainDefaultsSchema.optional(),
  agents: z
    .record(StepNameSchema, z.unknown())
    .refine((agents) => Object.keys(agents).length > 0, { message: 'must define at least one step' })
    .refine((agents) => Object.keys(agents).length <= MAX_CHAIN_STEPS, {
      message: `must define at most ${MAX_CHAIN_STEPS} steps`,
    }),
});

/** A validated chain: every step parsed as either an agent step or a decision step. */
export interface ChainDefinition {
  name: string;
  description?: string | undefined;
  env?: Record<string, string> | undefined;
  defaults?: ChainDefaults | undefined;
  agents: Record<string, ChainStep>;
}

export function isDecisionStep(step: ChainStep): step is DecisionStep {
  return 'decision' in step;
}
