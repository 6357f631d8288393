import { z } from 'zod';
import { ChainErrorSchema } from '../chain-parse';
import { ChainFilePathSchema, StepNameSchema } from '../chain-schema';

export const MAX_CHAIN_TEXT_LENGTH = 262_144;
export const MAX_CHAIN_FILES = 200;
export const MAX_REFERENCE_INPUTS = 20;
export const MAX_REFERENCE_CHECKS = 20;

/**
 * One expectation on a step's output in a staging run. Exactly one of: `contains` / `notContains` (plain text),
 * `matches` (a POSIX extended regular expression, tested line by line on the box as `grep -E` does), or `command`
 * (a shell command run on the box as the runtime user, like a step's `check`: the output on its stdin and in
 * $CHAIN_OUTPUT; exit 0 passes).
 */
export const ReferenceCheckSchema = z
  .object({
    step: StepNameSchema,
    contains: z.string().min(1).max(4_096).optional(),
    notContains: z.string().min(1).max(4_096).optional(),
    matches: z.string().min(1).max(1_024).optional(),
    command: z.string().min(1).max(4_096).optional(),
  })
  .strict()
  .refine(
    (check) =>
      [check.contains, check.notContains, check.matches, check.command].filter((v) => v !== undefined).length === 1,
    { message: 'must have exactly one of contains, notContains, matches or command' },
  );
export type ReferenceCheck = z.output<typeof ReferenceCheckSchema>;

const InputKeySchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { message: 'must be an input key (A-Z a-z 0-9 _ -)' });

/** A staging case: the chain is run on the box with `inputs` and must pass every check before it becomes active. */
export const ReferenceInputSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, {
      message: 'must be 1-64 letters, digits, "-" or "_", starting with a letter or digit',
    }),
    inputs: z
      .record(InputKeySchema, z.string().max(65_536))
      .refine((inputs) => Object.keys(inputs).length <= 50, { message: 'must hold at most 50 inputs' })
      .default({}),
    /** Answers for the chain's decision steps in this staging run (step → option), given as `staging`. */
    decisions: z
      .record(StepNameSchema, z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, { message: 'must be an option name' }))
      .default({}),
    checks: z.array(ReferenceCheckSchema).min(1).max(MAX_REFERENCE_CHECKS),
    /** Longest the staging run may take before it is cancelled and the case fails. */
    timeoutSeconds: z.number().int().min(1).max(3_600).default(300),
  })
  .strict();
export type ReferenceInput = z.output<typeof ReferenceInputSchema>;

export const ReferenceInputsSchema = z
  .array(ReferenceInputSchema)
  .max(MAX_REFERENCE_INPUTS)
  .refine((list) => new Set(list.map((r) => r.name)).size === list.length, {
    message: 'reference input names must be unique',
  });

export const UploadChainBodySchema = z
  .object({
    /** The chain file's text, YAML or JSON, exactly as `chainctl validate` reads it. */
    definition: z.string().min(1, { message: 'must not be empty' }).max(MAX_CHAIN_TEXT_LENGTH),
    /** Names the definition in error locations (`chain.yaml:3:5: ...`) and on the box. */
    fileName: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, { message: 'must be a plain file name such as chain.yaml' })
      .default('chain.yaml'),
    /** Every file the chain references (prompts, file inputs), by the path the chain uses, with its text. */
    files: z
      .record(ChainFilePathSchema.pipe(z.string().max(512)), z.string().max(MAX_CHAIN_TEXT_LENGTH))
      .refine((files) => Object.keys(files).length <= MAX_CHAIN_FILES, {
        message: `must hold at most ${MAX_CHAIN_FILES} files`,
      })
      .default({}),
    /** Staging cases run on the box before this version may become active; none: active once synced. */
    referenceInputs: ReferenceInputsSchema.default([]),
  })
  .strict();
export type UploadChainBody = z.output<typeof UploadChainBodySchema>;

export const ChainVersionStatusSchema = z.enum(['staging', 'active', 'rejected', 'superseded']);

export const ChainVersionSummarySchema = z.object({
  id: z.string(),
  chainId: z.string(),
  version: z.number().int(),
  /** sha256 over the definition and its files: the same value `chainctl` records as a run's chain version. */
  contentHash: z.string(),
  status: ChainVersionStatusSchema,
  fileName: z.string(),
  files: z.array(z.string()),
  createdAt: z.string().datetime(),
  syncedAt: z.string().datetime().nullable(),
});

export const UploadChainReplySchema = z.object({
  chain: z.object({ id: z.string(), name: z.string() }),
  version: ChainVersionSummarySchema,
  /** False when this exact content was uploaded before: the existing version is returned, nothing is added. */
  created: z.boolean(),
});

/** A chain that failed validation: the same located errors `chainctl validate` prints. */
export const ChainInvalidDetailSchema = ChainErrorSchema.extend({ path: z.string() });

export const ChainSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  latestVersion: z.number().int().nullable(),
  activeVersionId: z.string().nullable(),
  createdAt: z.string().datetime(),
  updatedAt: z.string().datetime(),
});

export const ListChainsQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    /** `nextCursor` of the previous page. */
    cursor: z
      .string()
      .max(400)
      .regex(/^[A-Za-z0-9_-]+$/, { message: 'must be a nextCursor from a previous page' })
      .optional(),
  })
  .strict();

export const ListChainsReplySchema = z.object({
  chains: z.array(ChainSummarySchema),
  nextCursor: z.string().nullable(),
});

export const ChainParamsSchema = z.object({ id: z.string().uuid({ message: 'must be a UUID' }) });

const VersionNumberSchema = z.coerce
  .number({ error: 'must be a version number' })
  .int({ message: 'must be a version number' })
  .min(1, { message: 'must be a version number (1, 2, ...)' })
  .max(2_147_483_647);

export const ChainVersionParamsSchema = ChainParamsSchema.extend({ version: VersionNumberSchema });

export const ListChainVersionsReplySchema = z.object({ versions: z.array(ChainVersionSummarySchema) });

export const ChainVersionDetailSchema = ChainVersionSummarySchema.extend({
  definition: z.string(),
  fileContents: z.record(z.string(), z.string()),
});

export const ChainDiffParamsSchema = ChainParamsSchema.extend({ a: VersionNumberSchema, b: VersionNumberSchema });

export const FileChangeSchema = z.enum(['added', 'removed', 'modified', 'unchanged']);

export const ChainDiffReplySchema = z.object({
  chainId: z.string(),
  from: z.object({ version: z.number().int(), contentHash: z.string() }),
  to: z.object({ version: z.number().int(), contentHash: z.string() }),
  files: z.array(
    z.object({
      path: z.string(),
      kind: z.enum(['definition', 'file']),
      change: FileChangeSchema,
      /** Unified diff (`---`/`+++`/`@@` hunks, 3 lines of context); null when unchanged. */
      diff: z.string().nullable(),
    }),
  ),
});

export const CheckResultSchema = z.object({
  step: z.string(),
  kind: z.enum(['contains', 'notContains', 'matches', 'command']),
  passed: z.boolean(),
  /** Why it failed (never the whole output): a missing text, an exit code and the command's last output. */
  detail: z.string().nullable(),
});

export const ReferenceResultSchema = z.object({
  name: z.string(),
  /** The staging run's id on the box (its events and outputs stay there like any run's). */
  runId: z.string(),
  runStatus: z.string().nullable(),
  passed: z.boolean(),
  error: z.string().nullable(),
  checks: z.array(CheckResultSchema),
});

export const StagingResultSchema = z.object({
  passed: z.boolean(),
  startedAt: z.string(),
  finishedAt: z.string(),
  /** Set when staging could not run at all (the box was unreachable, the files did not reach it). */
  error: z.string().nullable(),
  references: z.array(ReferenceResultSchema),
});
export type StagingResult = z.infer<typeof StagingResultSchema>;

export const ChainVersionStagingReplySchema = z.object({
  id: z.string(),
  chainId: z.string(),
  version: z.number().int(),
  status: ChainVersionStatusSchema,
  syncedAt: z.string().datetime().nullable(),
  activatedAt: z.string().datetime().nullable(),
  rejectedAt: z.string().datetime().nullable(),
  /** The staging cases as uploaded. */
  referenceInputs: z.array(ReferenceInputSchema),
  /** Null while staging has not finished (or the version has no reference inputs). */
  result: StagingResultSchema.nullable(),
  override: z.object({ byUserId: z.string().nullable(), reason: z.string() }).nullable(),
  /** Whether this version is the chain's active one, and whether it is the chain's last known-good one. */
  active: z.boolean(),
  lastKnownGood: z.boolean(),
});

export const ActivateChainVersionBodySchema = z
  .object({
    version: z
      .number({ error: 'must be a version number' })
      .int({ message: 'must be a version number' })
      .min(1, { message: 'must be a version number (1, 2, ...)' })
      .max(2_147_483_647),
    /** Why this version is made active although staging did not pass it: kept in the audit log and on the version. */
    reason: z.string().trim().min(1, { message: 'must say why' }).max(1_000),
  })
  .strict();

export const ChainActivationReplySchema = z.object({
  chainId: z.string(),
  activeVersion: z.object({ id: z.string(), version: z.number().int() }),
  lastKnownGoodVersion: z.object({ id: z.string(), version: z.number().int() }).nullable(),
  /** The version that was active before this call, and what it became. */
  previous: z.object({ id: z.string(), version: z.number().int(), status: ChainVersionStatusSchema }).nullable(),
});
