import { z } from 'zod';
import { ChainErrorSchema } from '../chain-parse';
import { ChainFilePathSchema } from '../chain-schema';

export const MAX_CHAIN_TEXT_LENGTH = 262_144;
export const MAX_CHAIN_FILES = 200;

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
