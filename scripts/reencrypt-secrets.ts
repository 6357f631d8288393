import { createPrismaClient } from '@paddock/db';
import { exitOnConfigError, parseConfig } from '@paddock/platform';
import { reencryptVaultRows } from '@paddock/services';
import { createVault, parseKeyring } from '@paddock/vault';
import { z } from 'zod';

// `npm run vault:reencrypt` (paddock-reencrypt.service in production): the second step of a master key rotation
// (docs/production.md). Rewrites every vault ciphertext with the keyring's active (first) key and says how many it
// rewrote per column. Exit 0: nothing is left under an old key, the old key may leave PADDOCK_MASTER_KEY. Exit 1:
// some row is still under an old key (a process still running with the old keyring wrote it): restart every API
// and worker with the new keyring and run this again.
const ReencryptConfigSchema = z.object({
  DATABASE_URL: z.string().url({ message: 'DATABASE_URL must be a postgresql:// URL' }),
  PADDOCK_MASTER_KEY: z
    .string({ error: 'PADDOCK_MASTER_KEY is required: the keyring new:base64,old:base64 (active key first)' })
    .refine(isKeyring, { message: 'must be a 32-byte base64 key, or id:base64,id:base64 with the active key first' }),
});

function isKeyring(spec: string): boolean {
  try {
    parseKeyring(spec);
    return true;
  } catch {
    // The reason may quote part of the value: a key must never reach a log line.
    return false;
  }
}

let config: z.output<typeof ReencryptConfigSchema>;
try {
  config = parseConfig('vault:reencrypt', ReencryptConfigSchema, process.env);
} catch (error) {
  exitOnConfigError(error);
}

const vault = createVault(config.PADDOCK_MASTER_KEY);
const prisma = createPrismaClient(config.DATABASE_URL, { poolMax: 1 });
let status = 0;
try {
  const reports = await reencryptVaultRows({ prisma, vault });
  for (const report of reports) {
    console.log(`${report.column}: rewrote ${report.rewritten}, left under an old key ${report.remaining}`);
    if (report.remaining > 0) status = 1;
  }
  console.log(
    status === 0
      ? `every ciphertext is under key "${vault.activeKeyId}": older keys may now leave PADDOCK_MASTER_KEY`
      : 'some rows are still under an old key: restart every API and worker with the new keyring, then run again',
  );
} catch (error) {
  console.error(`vault:reencrypt: ${error instanceof Error ? error.message : String(error)}`);
  status = 1;
} finally {
  await prisma.$disconnect();
}
process.exit(status);
