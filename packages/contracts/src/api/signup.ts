import { z } from 'zod';
import { EmailSchema } from './common';
import { NewPasswordSchema } from './tenant-sessions';

/** Handles that would be confusing or dangerous as a workspace's address (`<slug>.example.com`, `/w/<slug>`). */
export const RESERVED_WORKSPACE_SLUGS: ReadonlySet<string> = new Set([
  'admin',
  'api',
  'app',
  'billing',
  'console',
  'docs',
  'help',
  'mail',
  'operator',
  'paddock',
  'root',
  'signup',
  'status',
  'support',
  'system',
  'www',
]);

const MAX_SLUG_LENGTH = 40;

/**
 * The workspace's URL-safe handle, derived from its name: accents dropped, lower case, runs of anything else turned
 * into one `-`. A name with fewer than two Latin letters or digits (e.g. written in another script) gets a stable
 * handle from its hash instead, so the same name always maps to the same handle and uniqueness still holds.
 */
export function workspaceSlug(name: string): string {
  const ascii = name
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_SLUG_LENGTH)
    .replace(/-+$/, '');
  if (ascii.replace(/-/g, '').length >= 2) return ascii;
  return `workspace-${fnv1a64(name.normalize('NFC')).slice(0, 10)}`;
}

// Contracts also run in browsers (the console), so no node:crypto here; this only needs to be stable, not secret.
function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, '0');
}

// Letters and digits of any script, spaces and a few punctuation marks people put in company names; no control or
// formatting characters, no markup.
const WORKSPACE_NAME_PATTERN = /^[\p{L}\p{N}][\p{L}\p{N}\p{M} .,'&()_-]*$/u;

export const WorkspaceNameSchema = z
  .string()
  .transform((name) => name.normalize('NFC').trim().replace(/\s+/g, ' '))
  .pipe(
    z
      .string()
      .min(2, { message: 'must be at least 2 characters' })
      .max(64, { message: 'must be at most 64 characters' })
      .regex(WORKSPACE_NAME_PATTERN, {
        message: "must start with a letter or digit and use only letters, digits, spaces and . , ' & ( ) _ -",
      })
      .refine((name) => !RESERVED_WORKSPACE_SLUGS.has(workspaceSlug(name)), {
        message: 'is reserved; choose another workspace name',
      }),
  );

export const PlanCodeSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, { message: 'must be a plan code such as "starter"' });

export const SignupBodySchema = z
  .object({
    email: EmailSchema,
    workspaceName: WorkspaceNameSchema,
    plan: PlanCodeSchema,
    password: NewPasswordSchema.optional().describe(
      "The owner's password for logging in (POST /v1/sessions); without one, set it later with PUT /v1/me/password.",
    ),
  })
  .strict();
export type SignupBody = z.output<typeof SignupBodySchema>;

/**
 * The client's retry handle. At least 16 characters because a replay within 24 hours returns the API key again:
 * the key must be as hard to guess as a UUID.
 */
export const IdempotencyKeySchema = z
  .string({ error: 'is required: send an Idempotency-Key header (a fresh UUID per signup)' })
  .min(16, { message: 'must be at least 16 characters (use a UUID)' })
  .max(255, { message: 'must be at most 255 characters' })
  .regex(/^[\x21-\x7e]+$/, { message: 'must be printable ASCII without spaces' });

// Loose: fastify replaces request.headers with the validated object, which must keep every other header.
export const SignupHeadersSchema = z.looseObject({ 'idempotency-key': IdempotencyKeySchema });

export const SignupReplySchema = z.object({
  tenant: z.object({
    id: z.string(),
    slug: z.string(),
    name: z.string(),
    status: z.literal('provisioning'),
    plan: z.string(),
  }),
  user: z.object({ id: z.string(), email: z.string(), role: z.literal('owner') }),
  apiKey: z.object({
    id: z.string(),
    prefix: z.string(),
    key: z
      .string()
      .describe('Shown in this answer only (and in replays of it for 24 hours). Send as Authorization: Bearer.'),
  }),
  workflowId: z.string().describe('The provisioning workflow; the tenant becomes active when it finishes.'),
});
export type SignupReply = z.infer<typeof SignupReplySchema>;
