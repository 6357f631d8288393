import { randomUUID } from 'node:crypto';
import { AppError, type BoxCaps } from '@paddock/contracts';
import type { PrismaClient } from '@paddock/db';
import { BoxChannelError, DEFAULT_BOX_LAYOUT } from '@paddock/fleet';
import { chainFileOnBox } from '../chains/chain-paths';
import type { BoxGateway } from '../boxes/box-gateway';
import { admitRun } from '../limits/admit-run';
import { type RequestFacts, type TenantIdentity, tenantAuditEntry } from '../tenants/tenant-identity';
import { tenantBoxId } from './find-run';
import { RUN_SUMMARY_SELECT, type RunSummary, toRunSummary } from './run-replies';
import type { ServiceClients } from '../clients';

export interface StartRunInput {
  chain?: string | undefined;
  chainVersionId?: string | undefined;
  inputs: Record<string, string>;
}

/** A run id chosen before the start (an Idempotency-Key's): a retry finds what an earlier attempt left. */
export interface ReservedRun {
  runId: string;
}

const UNCONFIRMED = 'the box did not confirm the start of this run';

interface StoredDefinition {
  fileName?: string;
  text?: string;
}

/**
 * Starts a run of one of the tenant's chain versions on the tenant's box. The `runs` row (with the id the box will
 * use) is written before the box is asked, so the collector links the box's events to it from the first one; if
 * the box refuses the run, or was never reached, the row is removed again and nothing remains.
 */
export async function startRun(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  boxes: BoxGateway,
  actor: TenantIdentity,
  input: StartRunInput,
  request: RequestFacts = {},
  reserved?: ReservedRun,
): Promise<RunSummary> {
  // A retry of a start that may have reached the box: the same run, its chain version and box as first chosen.
  const earlier = reserved
    ? await prisma.run.findFirst({
        where: { id: reserved.runId, tenantId: actor.tenantId },
        select: { chainVersionId: true, boxId: true },
      })
    : null;
  const version = await chainVersionToRun(
    prisma,
    actor.tenantId,
    earlier?.chainVersionId ? { chainVersionId: earlier.chainVersionId, inputs: input.inputs } : input,
  );
  const definition = version.definition as StoredDefinition | null;
  if (typeof definition?.text !== 'string') {
    throw new AppError('unprocessable', `Chain version ${version.id} has no definition text to run.`);
  }
  const files = Object.keys((version.prompts as Record<string, unknown> | null) ?? {});
  // A chain with prompt files runs from its synced copy on the box (content-addressed, so the run is traced to the
  // exact prompts); one without files may also run inline, before its sync has finished.
  let source: { file: string } | { text: string } = { text: definition.text };
  if (version.syncedAt || files.length > 0) {
    if (!version.syncedAt) {
      throw new AppError(
        'conflict',
        `Chain version ${version.version} of ${version.chain.name} references files (${files.slice(0, 3).join(', ')}) ` +
          'and is not on the box yet; it can run once its sync has finished.',
      );
    }
    const file = chainFileOnBox(version.chain.name, version.contentHash, definition.fileName ?? 'chain.yaml');
    source = { file: `${DEFAULT_BOX_LAYOUT.dataDir}/${file}` };
  }
  const boxId = earlier?.boxId ?? (await tenantBoxId({ prisma }, actor.tenantId));
  const id = reserved?.runId ?? randomUUID();
  // A new run is admitted against the plan in the transaction that inserts it (admit-run.ts); the caps the box is
  // to hold travel with the run request. A retry's run was admitted when first started.
  let caps: BoxCaps | undefined;
  if (!earlier) {
    caps = await admitRun({ prisma }, { tenantId: actor.tenantId, boxId }, async (tx) => {
      await tx.run.create({
        data: {
          id,
          tenantId: actor.tenantId,
          boxId,
          chainId: version.chainId,
          chainVersionId: version.id,
          runtimeRunId: id,
          inputs: input.inputs,
          startedByApiKeyId: actor.apiKeyId,
          startedByUserId: actor.userId,
        },
      });
    });
  }
  try {
    await boxes.request(boxId, { op: 'run', ...source, inputs: input.inputs, run_id: id, ...(caps ? { caps } : {}) });
  } catch (error) {
    if (earlier && (await startedBefore(boxes, boxId, id, error))) {
      await prisma.run.updateMany({ where: { id, error: UNCONFIRMED }, data: { error: null } });
    } else if (neverStarted(error) && !earlier) {
      await prisma.run.delete({ where: { id } });
      throw error;
    } else {
      // The box may have started it without answering: the row stays for the collector to confirm or not.
      await prisma.run.update({ where: { id }, data: { error: UNCONFIRMED } });
      throw error;
    }
  }
  if (earlier) await prisma.run.updateMany({ where: { id, error: UNCONFIRMED }, data: { error: null } });
  await prisma.auditLog.create({
    data: tenantAuditEntry(
      actor,
      'run.start',
      { type: 'run', id },
      { chain: version.chain.name, chainVersionId: version.id, boxId, inputs: Object.keys(input.inputs) },
      request,
    ),
  });
  const row = await prisma.run.findUniqueOrThrow({ where: { id }, select: RUN_SUMMARY_SELECT });
  return toRunSummary(row);
}

async function chainVersionToRun(prisma: PrismaClient, tenantId: string, input: StartRunInput) {
  const select = {
    id: true,
    version: true,
    chainId: true,
    definition: true,
    prompts: true,
    contentHash: true,
    syncedAt: true,
    chain: { select: { name: true } },
  } as const;
  if (input.chainVersionId) {
    const version = await prisma.chainVersion.findFirst({ where: { id: input.chainVersionId, tenantId }, select });
    if (!version) throw new AppError('not_found', `There is no chain version ${input.chainVersionId}.`);
    return version;
  }
  const chain = await prisma.chain.findFirst({
    where: { tenantId, name: input.chain ?? '', archivedAt: null },
    select: { id: true, activeVersionId: true },
  });
  if (!chain) throw new AppError('not_found', `There is no chain named ${JSON.stringify(input.chain)}.`);
  const version = await prisma.chainVersion.findFirst({
    where: chain.activeVersionId ? { id: chain.activeVersionId, tenantId } : { chainId: chain.id, tenantId },
    orderBy: { version: 'desc' },
    select,
  });
  if (!version) throw new AppError('not_found', `Chain ${JSON.stringify(input.chain)} has no version yet.`);
  return version;
}

/** The box refused a run id it already has: the earlier attempt did start it (the box's own status says so). */
async function startedBefore(boxes: BoxGateway, boxId: string, runId: string, error: unknown): Promise<boolean> {
  if (!(error instanceof AppError) || error.code !== 'conflict') return false;
  try {
    return (await boxes.request(boxId, { op: 'status', run_id: runId })).run_id === runId;
  } catch {
    return false;
  }
}

/** The box refused the run, or the request never left: nothing can exist on the box. */
function neverStarted(error: unknown): boolean {
  if (!(error instanceof AppError)) return false;
  if (error.code !== 'box_unavailable') return true;
  const cause = error.cause;
  return cause instanceof BoxChannelError
    ? cause.failure === 'open_failed' || cause.failure === 'unsupported_version'
    : true;
}
