import { z } from 'zod';
import { WorkflowKindSchema, WorkflowStatusSchema } from './operator-workflows';
import { TenantStatusSchema } from './tenant-sessions';

/** Columns the tenant list sorts by on the server (then by id, so the order is total and pages are keyset). */
export const TenantSortSchema = z.enum(['created', 'name', 'slug', 'status']);
export const SortOrderSchema = z.enum(['asc', 'desc']);

export const ListOperatorTenantsQuerySchema = z
  .object({
    status: TenantStatusSchema.optional(),
    /** `created` (default), `name`, `slug` or `status` (in the lifecycle's order, then by creation). */
    sort: TenantSortSchema.default('created'),
    /** Default: `desc` for `created` (newest first), `asc` for the others. */
    order: SortOrderSchema.optional(),
    /** A prefix of the slug, the name or a user's email, case-insensitive. */
    q: z
      .string()
      .trim()
      .min(1, { message: 'must be 1 to 100 characters' })
      .max(100, { message: 'must be 1 to 100 characters' })
      .optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z
      .string()
      .max(200)
      .regex(/^[A-Za-z0-9_-]+$/, { message: 'must be a nextCursor from a previous page' })
      .optional(),
  })
  .strict()
  .transform((query) => ({ ...query, order: query.order ?? (query.sort === 'created' ? 'desc' : 'asc') }));

export const OperatorTenantParamsSchema = z.object({ id: z.string().uuid({ message: 'must be a UUID' }) });

export const OperatorTenantBoxSchema = z.object({
  id: z.string(),
  provider: z.string(),
  status: z.string(),
  statusReason: z.string().nullable(),
  address: z.string().nullable(),
  runtimeVersion: z.string().nullable(),
  lastSeenAt: z.string().datetime().nullable(),
});

export const OperatorTenantSummarySchema = z.object({
  id: z.string(),
  slug: z.string(),
  name: z.string(),
  status: TenantStatusSchema,
  /** Why the tenant is in its status (the provisioning failure, `<step>: <reason>`); null when there is nothing to say. */
  statusReason: z.string().nullable(),
  /**
   * For provisioning_failed: the provisioning workflow that failed (retry it with
   * POST /v1/operator/workflows/:id/retry); for suspended: the suspend workflow. Null otherwise.
   */
  statusWorkflow: z
    .object({
      id: z.string(),
      kind: WorkflowKindSchema,
      status: WorkflowStatusSchema,
      step: z.string().nullable().describe('The step that failed (or ran last)'),
      error: z.string().nullable(),
    })
    .nullable(),
  plan: z.object({ code: z.string(), name: z.string() }),
  ownerEmail: z.string().nullable(),
  /** The tenant's current box (the newest not destroyed one, else the newest), or null before one exists. */
  box: OperatorTenantBoxSchema.nullable(),
  createdAt: z.string().datetime(),
  activatedAt: z.string().datetime().nullable(),
  suspendedAt: z.string().datetime().nullable(),
});

export const ListOperatorTenantsReplySchema = z.object({
  tenants: z.array(OperatorTenantSummarySchema),
  nextCursor: z.string().nullable(),
});

export const OperatorTenantDetailSchema = OperatorTenantSummarySchema.extend({
  workflows: z.array(
    z.object({
      id: z.string(),
      kind: WorkflowKindSchema,
      status: WorkflowStatusSchema,
      currentStep: z.string().nullable(),
      error: z.string().nullable(),
      attempts: z.number().int(),
      createdAt: z.string().datetime(),
      finishedAt: z.string().datetime().nullable(),
    }),
  ),
  chains: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      activeVersion: z.number().int().nullable(),
      lastKnownGoodVersion: z.number().int().nullable(),
      latestVersion: z.object({ version: z.number().int(), status: z.string() }).nullable(),
    }),
  ),
  audit: z.array(
    z.object({
      id: z.string(),
      actorType: z.string(),
      actorLabel: z.string(),
      action: z.string(),
      targetType: z.string().nullable(),
      targetId: z.string().nullable(),
      details: z.unknown(),
      createdAt: z.string().datetime(),
    }),
  ),
});

export const OperatorChainVersionParamsSchema = z.object({
  tenantId: z.string().uuid({ message: 'must be a UUID' }),
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$/, {
    message: 'must be a chain name (1-100 characters, starting with a letter or digit)',
  }),
  version: z.coerce
    .number({ error: 'must be a version number' })
    .int({ message: 'must be a version number' })
    .min(1, { message: 'must be a version number (1, 2, ...)' })
    .max(2_147_483_647),
});

export const OperatorActivateBodySchema = z
  .object({
    /** Why: kept in the audit log (and on the version when staging did not pass it). */
    reason: z
      .string({ error: 'is required' })
      .trim()
      .min(3, { message: 'must be 3 to 500 characters' })
      .max(500, { message: 'must be 3 to 500 characters' }),
  })
  .strict();

export type OperatorTenantSummary = z.output<typeof OperatorTenantSummarySchema>;
export type OperatorTenantDetail = z.output<typeof OperatorTenantDetailSchema>;
