import type { RunStatus, StepStatus } from '@paddock/contracts';
import type { RunStatus as RunStatusEnum, StepStatus as StepStatusEnum } from './generated/prisma/enums';

/*
 * The Prisma enums `RunStatus` and `StepStatus` (prisma/schema.prisma) must hold exactly the control plane's statuses
 * defined in contracts (api/run-statuses.ts): the schema cannot import them, so they are compared here, in types
 * only. A value added to one side and not the other fails `tsc` on these lines (Type 'false' does not satisfy the
 * constraint 'true'), before a row could hold a status the API does not know or the reverse.
 */

/** True only when A and B are the same type (mutual assignability would accept `any`; this does not). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Assert<T extends true> = T;

export type RunStatusEnumMatchesContracts = Assert<Same<RunStatusEnum, RunStatus>>;
export type StepStatusEnumMatchesContracts = Assert<Same<StepStatusEnum, StepStatus>>;
