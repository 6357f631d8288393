import { z } from 'zod';

const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;
const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV6 = /^[0-9A-Fa-f:]{2,39}$/;

export const HostAddressSchema = z
  .string()
  .trim()
  .max(253)
  .refine((value) => HOSTNAME.test(value) || IPV6.test(value), { message: 'must be a host name or an IP address' });
export const HostPortSchema = z.coerce.number().int().min(1).max(65_535).default(22);
/** The admin account the control plane logs in as: root, or a user with password-less sudo. */
export const HostUserSchema = z
  .string()
  .regex(/^[a-z_][a-z0-9_-]{0,31}$/, { message: 'must be a Unix user name' })
  .default('root');
export const HostPoolSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { message: 'must be lowercase letters, digits and dashes' })
  .default('default');
export const FingerprintSchema = z
  .string()
  .regex(FINGERPRINT, { message: 'must be an OpenSSH SHA256 fingerprint (SHA256: and 43 base64 characters)' });

/** POST /v1/operator/hosts/probe: which host key does this address present? Nothing is stored or trusted. */
export const ProbeHostBodySchema = z
  .object({ address: HostAddressSchema, port: HostPortSchema, user: HostUserSchema })
  .strict();

export const ProbeHostReplySchema = z.object({
  address: z.string(),
  port: z.number().int(),
  /** Show it to the operator: registering with it is their confirmation (trust on first use, audited). */
  fingerprint: z.string(),
  algorithm: z.string(),
});

/**
 * POST /v1/operator/hosts: register a bring-your-own host. `fingerprint` is the host key the operator confirmed
 * (from the probe, or known out of band); the host must present it. `privateKey`: the admin user's SSH key
 * (OpenSSH or PEM, unencrypted), stored only as vault ciphertext.
 */
export const RegisterHostBodySchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, { message: 'must be lowercase letters, digits and dashes' }),
    address: HostAddressSchema,
    port: HostPortSchema,
    user: HostUserSchema,
    fingerprint: FingerprintSchema,
    /** How the operator knows the fingerprint: checked out of band, or read from the probe and confirmed. */
    trust: z.enum(['known', 'first_use']).default('first_use'),
    privateKey: z.string().min(64).max(16_384),
    pool: HostPoolSchema,
  })
  .strict();

export const HostSchema = z.object({
  id: z.string(),
  name: z.string().nullable(),
  address: z.string().nullable(),
  port: z.number().int(),
  user: z.string(),
  pool: z.string().nullable(),
  fingerprint: z.string().nullable(),
  status: z.string(),
  statusReason: z.string().nullable(),
  tenantId: z.string().nullable(),
  bootstrappedAt: z.string().datetime().nullable(),
  createdAt: z.string().datetime(),
});

export const RegisterHostReplySchema = HostSchema.extend({ bootstrapJobId: z.string() });

export const ListHostsQuerySchema = z
  .object({ pool: z.string().max(63).optional(), free: z.enum(['true', 'false']).optional() })
  .strict();
export const ListHostsReplySchema = z.object({ hosts: z.array(HostSchema) });

/** POST /v1/operator/hosts/:id/assign: give this host to a tenant that has no box (then retry its provisioning). */
export const AssignHostBodySchema = z.object({ tenantId: z.string().uuid({ message: 'must be a UUID' }) }).strict();

/** GET /v1/operator/boxes: every box the control plane knows, newest first (filters are exact). */
export const ListBoxesQuerySchema = z
  .object({
    status: z
      .enum([
        'pending',
        'creating',
        'starting',
        'bootstrapping',
        'deploying',
        'ready',
        'unhealthy',
        'unreachable',
        'destroying',
        'destroyed',
        'failed',
      ])
      .optional(),
    provider: z.enum(['byo', 'hetzner', 'local']).optional(),
    tenantId: z.string().uuid({ message: 'must be a UUID' }).optional(),
    /** A prefix of the box's name or address. */
    q: z.string().trim().max(253).optional(),
    sort: z.enum(['created', 'name', 'status', 'last_seen', 'release']).default('created'),
    order: z.enum(['asc', 'desc']).default('desc'),
    /** Rows to skip: the console's pages (sorted by any column, so an offset rather than a keyset cursor). */
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();

export const BoxSummarySchema = z.object({
  id: z.string(),
  name: z.string().nullable(),
  tenantId: z.string().nullable(),
  provider: z.string(),
  address: z.string().nullable(),
  port: z.number().int(),
  pool: z.string().nullable(),
  status: z.string(),
  statusReason: z.string().nullable(),
  runtimeVersion: z.string().nullable(),
  hostKeyFingerprint: z.string().nullable(),
  lastSeenAt: z.string().datetime().nullable(),
  createdAt: z.string().datetime(),
});
export const ListBoxesReplySchema = z.object({
  boxes: z.array(BoxSummarySchema),
  /** Boxes matching the filters, on every page. */
  total: z.number().int(),
  /** The offset of the next page; null on the last one. */
  nextOffset: z.number().int().nullable(),
});
