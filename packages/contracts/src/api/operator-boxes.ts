import { z } from 'zod';

const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;

/** POST /v1/operator/boxes/:id/host-key: confirm a box's new SSH host key after checking it out of band. */
export const RepinHostKeyBodySchema = z
  .object({
    fingerprint: z
      .string()
      .regex(FINGERPRINT, { message: 'must be an OpenSSH SHA256 fingerprint (SHA256: and 43 base64 characters)' }),
    /** Why the key changed (a rebuilt machine, a restored snapshot): kept in the audit log. */
    reason: z.string().trim().min(3).max(500),
  })
  .strict();

export const RepinHostKeyReplySchema = z.object({
  boxId: z.string(),
  previous: z.string().nullable(),
  fingerprint: z.string(),
  /** The box's status after the re-pin (`ready` again when only the changed key had made it unreachable). */
  status: z.string(),
  /** `host_key_changed` alerts this resolved. */
  resolvedAlerts: z.number().int(),
});

/** GET /v1/operator/boxes/:id/health: what the collector last learned of a box, and how it judged it. */
export const BoxHealthReplySchema = z.object({
  boxId: z.string(),
  tenantId: z.string().nullable(),
  status: z.string(),
  statusReason: z.string().nullable(),
  lastSeenAt: z.string().datetime().nullable(),
  healthCheckedAt: z.string().datetime().nullable(),
  runtimeVersion: z.string().nullable(),
  /** The runtime's own health answer as last reported (daemon state, heartbeat, inotify limits). */
  health: z.unknown().nullable(),
  diskUsedBytes: z.string().nullable(),
  diskTotalBytes: z.string().nullable(),
  /** The collector's reconnect state for an unreachable box: attempts so far and the wait before the next one. */
  reconnect: z
    .object({
      failures: z.number().int(),
      lastDelayMs: z.number().int().nullable(),
      nextAttemptAt: z.string().datetime().nullable(),
      lastError: z.string().nullable(),
    })
    .nullable(),
});
export type BoxHealthReply = z.infer<typeof BoxHealthReplySchema>;

/** A deploy or rollback of a box as the console's box page shows it, with the tail of its log. */
export const BoxDeploySchema = z.object({
  id: z.string(),
  kind: z.enum(['deploy', 'rollback']),
  status: z.string(),
  release: z.string(),
  previousRelease: z.string().nullable(),
  rolloutId: z.string().nullable(),
  attempts: z.number().int(),
  error: z.string().nullable(),
  logTail: z.string(),
  createdAt: z.string().datetime(),
  startedAt: z.string().datetime().nullable(),
  finishedAt: z.string().datetime().nullable(),
});

/** GET /v1/operator/boxes/:id: one box, its pinned (and pending) host key, release and latest deploys. */
export const BoxDetailReplySchema = z.object({
  id: z.string(),
  name: z.string().nullable(),
  tenantId: z.string().nullable(),
  tenantSlug: z.string().nullable(),
  provider: z.string(),
  address: z.string().nullable(),
  port: z.number().int(),
  pool: z.string().nullable(),
  status: z.string(),
  statusReason: z.string().nullable(),
  runtimeVersion: z.string().nullable(),
  release: z.string().nullable(),
  hostKeyFingerprint: z.string().nullable(),
  /** The key the box presented instead of the pinned one: what a re-pin would confirm after checking it. */
  hostKeyPendingFingerprint: z.string().nullable(),
  hostKeyPinnedAt: z.string().datetime().nullable(),
  bootstrappedAt: z.string().datetime().nullable(),
  lastSeenAt: z.string().datetime().nullable(),
  createdAt: z.string().datetime(),
  deploys: z.array(BoxDeploySchema).describe('Newest first, at most 20'),
});
export type BoxDetailReply = z.infer<typeof BoxDetailReplySchema>;

/** POST /v1/operator/boxes/:id/rollback and /bootstrap: why, for the audit log. */
export const BoxActionBodySchema = z.object({ reason: z.string().trim().min(3).max(500) }).strict();

export const BoxRollbackReplySchema = z.object({
  deployId: z.string().describe("The rollback's Deploy row (GET /v1/operator/boxes/:id lists it)"),
  jobRecordId: z.string().describe('Follow it with GET /v1/operator/jobs/:id'),
  release: z.string().describe('The release the box goes back to'),
  previousRelease: z.string().describe('The release it runs now'),
});

export const BoxRebootstrapReplySchema = z.object({
  jobRecordId: z.string().describe('Follow it with GET /v1/operator/jobs/:id'),
});
/**
 * POST /v1/operator/boxes/:id/exec: one command on a box as its admin user, over the control plane's key and the
 * pinned host key (audited). `argv` is quoted word by word (a pipeline is `["sh", "-c", "a | b"]`).
 */
export const BoxExecBodySchema = z
  .object({
    argv: z
      .array(
        z
          .string()
          .min(1)
          .max(4_096)
          .regex(/^[^\0]*$/, { message: 'must not contain NUL' }),
      )
      .min(1)
      .max(64),
    timeoutSeconds: z.number().int().min(1).max(600).default(60),
  })
  .strict();
export type BoxExecBody = z.infer<typeof BoxExecBodySchema>;

export const BoxExecReplySchema = z.object({
  boxId: z.string(),
  exitCode: z.number().int(),
  /** The last MiB of each stream at most, as UTF-8 (what the box wrote is not trusted to be text). */
  stdout: z.string(),
  stderr: z.string(),
  durationMs: z.number().int(),
});
export type BoxExecReply = z.infer<typeof BoxExecReplySchema>;
