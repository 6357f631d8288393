import { AppError, MAX_TERMINAL_STREAM_BYTES, TERMINAL_REPLAY_BYTES } from '@paddock/contracts';
import type { BoxGateway } from '../boxes/box-gateway';
import type { BoxTerminal, BoxTerminalHandlers } from '../boxes/box-terminal';
import { onBox, runNotFound } from '../runs/find-run';
import type { TerminalSlots } from './terminal-slots';
import type { ServiceClients } from '../clients';

interface RunWithStep {
  id: string;
  boxId: string | null;
  runtimeRunId: string | null;
  stepKnown: boolean;
}

export interface StepTerminalInput {
  tenantId: string;
  runId: string;
  step: string;
  attempt?: number;
  /** Defaults: TERMINAL_REPLAY_BYTES, MAX_TERMINAL_STREAM_BYTES. */
  tailBytes?: number;
  maxBytes?: number;
}

/** An open terminal stream with the tenant's slot it holds; `close` frees both. */
export interface StepTerminal {
  terminal: BoxTerminal;
  close(): Promise<void>;
}

/**
 * A tenant's view of one step's terminal: the run and the step are looked up under the tenant (another tenant's run
 * is not found, exactly like a missing one), a stream slot of the workspace is taken, then the box streams the log.
 */
export async function openStepTerminal(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  boxes: BoxGateway,
  slots: TerminalSlots,
  input: StepTerminalInput,
  handlers: BoxTerminalHandlers,
): Promise<StepTerminal> {
  const rows = await prisma.$queryRaw<RunWithStep[]>`
    SELECT r.id, r.box_id AS "boxId", r.runtime_run_id AS "runtimeRunId",
           EXISTS (SELECT 1 FROM run_steps s
                    WHERE s.run_id = r.id AND s.tenant_id = r.tenant_id AND s.name = ${input.step}) AS "stepKnown"
      FROM runs r
     WHERE r.id = ${input.runId}::uuid AND r.tenant_id = ${input.tenantId}::uuid`;
  const run = rows[0];
  if (!run) throw runNotFound(input.runId);
  if (!run.stepKnown) throw new AppError('not_found', `Run ${input.runId} has no step ${input.step}.`);
  const target = onBox(run);
  const slot = await slots.acquire(input.tenantId);
  let terminal: BoxTerminal;
  try {
    terminal = await boxes.openTerminal(
      target.boxId,
      {
        runtimeRunId: target.runtimeRunId,
        step: input.step,
        ...(input.attempt ? { attempt: input.attempt } : {}),
        tailBytes: input.tailBytes ?? TERMINAL_REPLAY_BYTES,
        maxBytes: input.maxBytes ?? MAX_TERMINAL_STREAM_BYTES,
      },
      {
        onChunk: handlers.onChunk,
        onEnd: (end) => {
          void slot.release();
          handlers.onEnd(end);
        },
      },
    );
  } catch (error) {
    await slot.release();
    throw error;
  }
  return {
    terminal,
    close: async () => {
      await terminal.close();
      await slot.release();
    },
  };
}
