import { z } from 'zod';
import { defineJob } from './define-job';

/**
 * Every job the control plane knows. A job is enqueued and handled only by name through this catalog, so its
 * payload is validated on both sides (the API that enqueues it and the worker that runs it, which may be a
 * different version during a rolling deploy).
 */
export const jobCatalog = {
  'diagnostics.probe': defineJob({
    name: 'diagnostics.probe',
    queue: 'control',
    description:
      'Operator probe of the worker fleet: holds a worker for durationMs and reports which worker ran it, so an operator can see jobs flow end to end.',
    payload: z.object({
      label: z.string().min(1).max(200),
      durationMs: z.number().int().min(0).max(600_000),
    }),
    attempts: 3,
    backoff: { type: 'exponential', delayMs: 1_000 },
    timeoutMs: 660_000,
  }),
  'tenant.provision': defineJob({
    name: 'tenant.provision',
    queue: 'provisioning',
    description:
      "Drives a new tenant's provisioning workflow (create box, pin host key, bootstrap, deploy, push secrets, health check). Enqueued once per signup, in the same transaction as the tenant; its job id is derived from the workflow id.",
    payload: z.object({
      tenantId: z.string().uuid(),
      workflowId: z.string().uuid(),
    }),
    attempts: 5,
    backoff: { type: 'exponential', delayMs: 5_000 },
    timeoutMs: 15 * 60_000,
  }),
  'workflow.advance': defineJob({
    name: 'workflow.advance',
    queue: 'provisioning',
    description:
      'Runs the next unfinished step of a workflow (provision, suspend, resume, delete) and enqueues the one after it; a step failing its last attempt parks the workflow as failed.',
    payload: z.object({ workflowId: z.string().uuid(), round: z.number().int().min(0) }),
    attempts: 6,
    // 1 + 2 + 4 + 8 + 16 s between attempts: about half a minute of retries before the workflow is parked.
    backoff: { type: 'exponential', delayMs: 1_000 },
    timeoutMs: 15 * 60_000,
  }),
  'chain.sync': defineJob({
    name: 'chain.sync',
    queue: 'fleet',
    description:
      "Writes a chain version's definition and files to the tenant's box under the runtime root, content-addressed (chains/<name>/<hash>/), atomically and idempotently; then stages it (reference inputs) or, without any, makes it active. Its job record is written in the upload's transaction.",
    payload: z.object({ tenantId: z.string().uuid(), chainVersionId: z.string().uuid() }),
    attempts: 5,
    backoff: { type: 'exponential', delayMs: 2_000 },
    timeoutMs: 5 * 60_000,
  }),
  'chain.stage': defineJob({
    name: 'chain.stage',
    queue: 'fleet',
    description:
      'Runs a synced chain version on the box against each of its reference inputs, evaluates the checks, stores the staging result and makes the version active (the previous one kept as last known-good) or rejects it.',
    payload: z.object({ tenantId: z.string().uuid(), chainVersionId: z.string().uuid() }),
    attempts: 3,
    backoff: { type: 'exponential', delayMs: 5_000 },
    // Reference runs are bounded by their own timeouts (at most an hour each); this bounds the whole job.
    timeoutMs: 2 * 3_600_000,
  }),
  'secrets.push': defineJob({
    name: 'secrets.push',
    queue: 'fleet',
    description:
      "Replaces the tenant's secrets file on its box with the tenant's current secrets (read when the job runs, so changes made before it starts are coalesced into one push; the latest set wins).",
    payload: z.object({ tenantId: z.string().uuid() }),
    attempts: 6,
    backoff: { type: 'exponential', delayMs: 1_000 },
    timeoutMs: 2 * 60_000,
  }),
  'release.publish': defineJob({
    name: 'release.publish',
    queue: 'control',
    description:
      'Builds the box runtime from packages/runtime into the release directory and records it (content-addressed: the same code twice is one release). Not promoted unless asked: a successful rollout promotes it, so new boxes get it only then.',
    payload: z.object({
      notes: z.string().max(500).optional(),
      node: z.enum(['system', 'bundled']).optional(),
      promote: z.boolean().default(false),
    }),
    attempts: 2,
    backoff: { type: 'fixed', delayMs: 5_000 },
    timeoutMs: 10 * 60_000,
  }),
  'rollout.advance': defineJob({
    name: 'rollout.advance',
    queue: 'fleet',
    description:
      "Deploys a rollout's current batch (canary first) and decides: stop and roll back past the failure threshold, enqueue the next batch, or finish and promote the release. Holds the rollout's advisory lock; a taken-over job redoes only the box that was in flight.",
    payload: z.object({ rolloutId: z.string().uuid() }),
    attempts: 5,
    backoff: { type: 'exponential', delayMs: 2_000 },
    // A batch of boxes deploys under its concurrency; each box's deploy is bounded by its own deadlines.
    timeoutMs: 60 * 60_000,
  }),
  'host.bootstrap': defineJob({
    name: 'host.bootstrap',
    queue: 'fleet',
    description:
      'Bootstraps a bring-your-own host an operator registered (runtime user, directories, service, sshd hardening); it then joins its pool as ready. Idempotent.',
    payload: z.object({ boxId: z.string().uuid() }),
    attempts: 3,
    backoff: { type: 'exponential', delayMs: 10_000 },
    timeoutMs: 15 * 60_000,
  }),
  'box.rollback': defineJob({
    name: 'box.rollback',
    queue: 'fleet',
    description:
      "Puts one box back on a release kept on it, on an operator's demand (restart and health check under the box's deploy lock); closes the Deploy row the request wrote and moves the box's release.",
    payload: z.object({ boxId: z.string().uuid(), deployId: z.string().uuid(), toVersion: z.string().min(1).max(64) }),
    attempts: 2,
    backoff: { type: 'fixed', delayMs: 10_000 },
    timeoutMs: 10 * 60_000,
  }),
  'box.rebootstrap': defineJob({
    name: 'box.rebootstrap',
    queue: 'fleet',
    description:
      "Runs a box's idempotent bootstrap again on an operator's demand (runtime user, directories, service, sshd hardening) and records what it changed; the box's status is left to its health checks.",
    payload: z.object({ boxId: z.string().uuid() }),
    attempts: 2,
    backoff: { type: 'exponential', delayMs: 10_000 },
    timeoutMs: 15 * 60_000,
  }),
  'fleet.catch-up': defineJob({
    name: 'fleet.catch-up',
    queue: 'fleet',
    description:
      'Boxes that were offline during a rollout that succeeded and answer again get the promoted release (one after another, careful deploy); their rollout rows become caught_up or superseded. Repeated every minute by a job scheduler; does nothing while a rollout is active.',
    payload: z.object({}),
    attempts: 1,
    backoff: { type: 'fixed', delayMs: 60_000 },
    timeoutMs: 30 * 60_000,
  }),
  'invoices.close-month': defineJob({
    name: 'invoices.close-month',
    queue: 'control',
    description:
      'The monthly close: a draft invoice (gap-free number, prorated fee, usage by model, box time, credits) for every tenant that existed in the month and has none yet. Without a period it closes the month before now. Idempotent and safe to run on any number of workers at once; repeated hourly by a job scheduler.',
    payload: z.object({
      period: z
        .string()
        .regex(/^\d{4}-(0[1-9]|1[0-2])$/)
        .optional(),
    }),
    attempts: 5,
    backoff: { type: 'exponential', delayMs: 30_000 },
    timeoutMs: 60 * 60_000,
  }),
  'subscriptions.end-trials': defineJob({
    name: 'subscriptions.end-trials',
    queue: 'control',
    description:
      'The trial check: every trial past its end becomes its follow-up plan, or its tenant is suspended (the suspend workflow). Repeated every few minutes by a job scheduler; safe to run concurrently.',
    payload: z.object({}),
    attempts: 3,
    backoff: { type: 'exponential', delayMs: 10_000 },
    timeoutMs: 10 * 60_000,
  }),
  'monitoring.evaluate': defineJob({
    name: 'monitoring.evaluate',
    queue: 'control',
    description:
      "One monitoring round: the drift detectors (cost, quality, model health, prompt drift, box and runtime) over what changed since the last round's watermark and every open monitoring alert; opens, updates and resolves alerts and queues their webhooks. Repeated every 5 minutes by a job scheduler; safe to repeat.",
    payload: z.object({}),
    attempts: 2,
    backoff: { type: 'fixed', delayMs: 30_000 },
    timeoutMs: 10 * 60_000,
  }),
  'webhooks.deliver': defineJob({
    name: 'webhooks.deliver',
    queue: 'control',
    description:
      'One signed POST of one webhook delivery (an alert opened or resolved, or a digest); every attempt is written to the delivery log, the last failed one counts against the endpoint, which is disabled after repeated failed deliveries.',
    payload: z.object({ deliveryId: z.string().uuid() }),
    attempts: 6,
    // 10, 20, 40, 80, 160 s: a receiver down for about five minutes still gets it.
    backoff: { type: 'exponential', delayMs: 10_000 },
    timeoutMs: 60_000,
  }),
  'webhooks.digest': defineJob({
    name: 'webhooks.digest',
    queue: 'control',
    description:
      'The daily digest: each digest endpoint whose last digest is a day old gets one delivery listing the alerts opened since. Repeated hourly by a job scheduler; two workers at once send one digest (row lock).',
    payload: z.object({}),
    attempts: 3,
    backoff: { type: 'exponential', delayMs: 30_000 },
    timeoutMs: 10 * 60_000,
  }),
} as const;

export type JobCatalog = typeof jobCatalog;
export type JobName = keyof JobCatalog;
export type JobPayload<N extends JobName> = z.output<JobCatalog[N]['payload']>;

export function isJobName(name: string): name is JobName {
  return Object.hasOwn(jobCatalog, name);
}
