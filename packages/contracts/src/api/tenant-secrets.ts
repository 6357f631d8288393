import { z } from 'zod';

/** Secrets become environment variables of the tenant's agents, so they are named like environment variables. */
export const SecretNameSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,99}$/, {
  message: 'must be an environment variable name: letters, digits and _, not starting with a digit (max 100)',
});

export const SecretParamsSchema = z.object({ name: SecretNameSchema });

export const MAX_SECRET_VALUE_LENGTH = 32_768;

export const PutSecretBodySchema = z
  .object({
    value: z
      .string()
      .min(1, { message: 'must not be empty (delete the secret instead)' })
      .max(MAX_SECRET_VALUE_LENGTH, { message: `must be at most ${MAX_SECRET_VALUE_LENGTH} characters` })
      // The box's env file holds one NAME="value" per line: a line break or NUL could not reach the box intact.
      .refine((value) => !/[\n\r\0]/.test(value), {
        message: 'must not contain a line break or NUL (encode multi-line values, e.g. base64)',
      }),
  })
  .strict();

/** What the API ever says about a secret: its name and when it last changed, never its value. */
export const SecretSummarySchema = z.object({ name: z.string(), updatedAt: z.string().datetime() });

export const ListSecretsReplySchema = z.object({ secrets: z.array(SecretSummarySchema) });
