import { AppError, type ReferenceInput } from '@paddock/contracts';
import { Prisma, type PrismaClient } from '@paddock/db';
import { type QueuedJob, recordChainSync } from './sync-jobs';
import { limitReached, lockPlanLimits } from '../tenants/plan-limits';
import { type RequestFacts, type TenantIdentity, tenantAuditEntry } from '../tenants/tenant-identity';
import { validateUploadedChain } from './chain-files';
import { validateReferenceInputs } from './reference-inputs';
import type { ServiceClients } from '../clients';

export type ChainVersionStatus = 'staging' | 'active' | 'rejected' | 'superseded';

export interface ChainVersionSummary {
  id: string;
  chainId: string;
  version: number;
  contentHash: string;
  status: ChainVersionStatus;
  fileName: string;
  files: string[];
  createdAt: Date;
  syncedAt: Date | null;
}

export interface ChainVersionDetail extends ChainVersionSummary {
  definition: string;
  fileContents: Record<string, string>;
}

/** How a version's definition is kept: the exact text (what the box gets and the hash covers) and its parse. */
interface StoredDefinition {
  fileName: string;
  text: string;
  chain: unknown;
}

export interface UploadChainInput {
  definition: string;
  fileName: string;
  files: Record<string, string>;
  /** Staging cases; none: the version becomes active once it is on the box. */
  referenceInputs?: ReferenceInput[] | undefined;
}

export interface UploadOutcome {
  chain: { id: string; name: string };
  version: ChainVersionSummary;
  created: boolean;
  /** The sync to the box recorded with the version (its Redis half is left to the caller), or null when synced. */
  sync: QueuedJob | null;
}

/**
 * Validates and stores an uploaded chain as a version of the chain it names, with the job record of its sync to the
 * box in the same transaction. The same content uploaded again is the same version (found by content hash, nothing
 * written but a new sync when it never reached the box); new content gets the next version number. Versions of one
 * chain are numbered under a row lock on the chain, so concurrent uploads never take the same number.
 */
export async function uploadChainVersion(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  actor: TenantIdentity,
  input: UploadChainInput,
  request: RequestFacts = {},
): Promise<UploadOutcome> {
  const valid = validateUploadedChain(input);
  const referenceInputs = input.referenceInputs ?? [];
  validateReferenceInputs(valid.chain, referenceInputs);
  const name = valid.chain.name;
  return prisma.$transaction(async (tx) => {
    const limits = await lockPlanLimits({ prisma: tx }, actor.tenantId);
    const steps = Object.keys(valid.chain.agents).length;
    if (limits.maxAgentsPerChain !== undefined && steps > limits.maxAgentsPerChain) {
      throw limitReached('maxAgentsPerChain', steps, limits.maxAgentsPerChain);
    }
    if (limits.maxChains !== undefined) {
      const exists = await tx.chain.findUnique({
        where: { tenantId_name: { tenantId: actor.tenantId, name } },
        select: { id: true },
      });
      const count = exists ? 0 : await tx.chain.count({ where: { tenantId: actor.tenantId, archivedAt: null } });
      if (!exists && count >= limits.maxChains) throw limitReached('maxChains', count, limits.maxChains);
    }
    await tx.$executeRaw`
      INSERT INTO chains (tenant_id, name, description) VALUES (${actor.tenantId}::uuid, ${name}, ${valid.chain.description ?? null})
      ON CONFLICT (tenant_id, name) DO NOTHING`;
    const [chain] = await tx.$queryRaw<Array<{ id: string }>>`
      SELECT id FROM chains WHERE tenant_id = ${actor.tenantId}::uuid AND name = ${name} FOR UPDATE`;
    if (!chain) throw new Error(`chain "${name}" vanished inside its own transaction`);
    const existing = await tx.chainVersion.findUnique({
      where: { chainId_contentHash: { chainId: chain.id, contentHash: valid.contentHash } },
      select: { id: true, version: true, referenceInputs: true, syncedAt: true },
    });
    if (existing) {
      if (canonical(existing.referenceInputs ?? []) !== canonical(referenceInputs)) {
        throw new AppError(
          'conflict',
          `This content is already version ${existing.version} with other reference inputs; a version's staging ` +
            'cases cannot change (change the chain or its prompts to make a new version).',
        );
      }
      const sync = existing.syncedAt ? null : await recordChainSync({ prisma: tx }, actor.tenantId, existing.id);
      const summary = await versionSummaries(tx, actor.tenantId, chain.id, existing.id);
      return { chain: { id: chain.id, name }, version: summary[0] as ChainVersionSummary, created: false, sync };
    }
    const latest = await tx.chainVersion.aggregate({ where: { chainId: chain.id }, _max: { version: true } });
    const definition: StoredDefinition = { fileName: valid.fileName, text: valid.text, chain: valid.chain };
    const row = await tx.chainVersion.create({
      data: {
        tenantId: actor.tenantId,
        chainId: chain.id,
        version: (latest._max.version ?? 0) + 1,
        contentHash: valid.contentHash,
        // Through JSON so optional fields left undefined by the parser are dropped, not refused.
        definition: JSON.parse(JSON.stringify(definition)) as Prisma.InputJsonObject,
        prompts: Object.fromEntries(valid.files),
        referenceInputs: JSON.parse(JSON.stringify(referenceInputs)) as Prisma.InputJsonArray,
        createdByUserId: actor.userId,
      },
      select: { id: true, version: true },
    });
    await tx.chain.update({
      where: { id: chain.id, tenantId: actor.tenantId },
      data: { description: valid.chain.description ?? null },
    });
    await tx.auditLog.create({
      data: tenantAuditEntry(
        actor,
        'chain_version.create',
        { type: 'chain_version', id: row.id },
        {
          chain: name,
          chainId: chain.id,
          version: row.version,
          contentHash: valid.contentHash,
          referenceInputs: referenceInputs.map((r) => r.name),
        },
        request,
      ),
    });
    const sync = await recordChainSync({ prisma: tx }, actor.tenantId, row.id);
    const summary = await versionSummaries(tx, actor.tenantId, chain.id, row.id);
    return { chain: { id: chain.id, name }, version: summary[0] as ChainVersionSummary, created: true, sync };
  });
}

/** JSON with object keys sorted: jsonb keeps its own key order, so stored and uploaded values compare by this. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/** Versions of one of the tenant's chains, newest first; not_found when the chain is not the tenant's. */
export async function listChainVersions(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  tenantId: string,
  chainId: string,
): Promise<ChainVersionSummary[]> {
  const chain = await prisma.chain.findFirst({ where: { id: chainId, tenantId }, select: { id: true } });
  if (!chain) throw chainNotFound(chainId);
  return versionSummaries(prisma, tenantId, chainId);
}

export async function getChainVersion(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  tenantId: string,
  chainId: string,
  version: number,
): Promise<ChainVersionDetail> {
  const row = await prisma.chainVersion.findFirst({
    where: { tenantId, chainId, version },
    select: {
      id: true,
      chainId: true,
      version: true,
      contentHash: true,
      status: true,
      definition: true,
      prompts: true,
      createdAt: true,
      syncedAt: true,
    },
  });
  if (!row) throw new AppError('not_found', `Chain ${chainId} has no version ${version}.`);
  const definition = row.definition as unknown as StoredDefinition;
  const fileContents = row.prompts as Record<string, string>;
  return {
    id: row.id,
    chainId: row.chainId,
    version: row.version,
    contentHash: row.contentHash,
    status: row.status,
    fileName: definition.fileName,
    files: Object.keys(fileContents).sort(),
    createdAt: row.createdAt,
    syncedAt: row.syncedAt,
    definition: definition.text,
    fileContents,
  };
}

export function chainNotFound(chainId: string): AppError {
  return new AppError('not_found', `There is no chain ${chainId}.`);
}

type Queryable = Pick<PrismaClient, '$queryRaw'>;

// Lists read the file names out of the JSON in SQL: a version's prompts can be large and lists need only names.
async function versionSummaries(
  db: Queryable,
  tenantId: string,
  chainId: string,
  versionId?: string,
): Promise<ChainVersionSummary[]> {
  const onlyOne = versionId === undefined ? Prisma.empty : Prisma.sql`AND id = ${versionId}::uuid`;
  const rows = await db.$queryRaw<
    Array<Omit<ChainVersionSummary, 'files' | 'fileName'> & { fileName: string | null; files: string[] | null }>
  >`
    SELECT id, chain_id AS "chainId", version, content_hash AS "contentHash", status::text AS status,
           definition->>'fileName' AS "fileName",
           ARRAY(SELECT k FROM jsonb_object_keys(prompts) AS k ORDER BY k) AS files,
           created_at AS "createdAt", synced_at AS "syncedAt"
      FROM chain_versions
     WHERE tenant_id = ${tenantId}::uuid AND chain_id = ${chainId}::uuid ${onlyOne}
     ORDER BY version DESC`;
  return rows.map((row) => ({ ...row, fileName: row.fileName ?? 'chain.yaml', files: row.files ?? [] }));
}
