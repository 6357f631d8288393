// `npm run operator -- reset-password <email>`: on the control plane's machine, with the database's credentials,
// sets a new generated password for an operator (printed once), ends their sessions and enables the account again.
// The first operator's password is printed only at the first start: this is the way back in. It talks to the
// database directly (not the API), because whoever needs it cannot log in.
import { isAppError } from '@paddock/contracts';
import { createPrismaClient } from '@paddock/db';
import { exitOnConfigError, parseConfig } from '@paddock/platform';
import { resetOperatorPasswordLocally } from '@paddock/services';
import { z } from 'zod';

const OperatorCliConfigSchema = z.object({
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL'),
});

const USAGE = 'usage: npm run operator -- reset-password <email>';

async function main(argv: string[]): Promise<number> {
  const [command, email, ...rest] = argv;
  if (command !== 'reset-password' || !email || rest.length > 0) {
    console.error(USAGE);
    return 2;
  }
  let config: z.output<typeof OperatorCliConfigSchema>;
  try {
    config = parseConfig('operator', OperatorCliConfigSchema, process.env);
  } catch (error) {
    exitOnConfigError(error);
  }
  const prisma = createPrismaClient(config.DATABASE_URL, { poolMax: 1 });
  try {
    const reset = await resetOperatorPasswordLocally({ prisma }, email);
    console.log(`operator ${reset.email} (${reset.role}): new password (shown once): ${reset.password}`);
    console.log('Every session of this operator was ended; log in again with the new password.');
    return 0;
  } finally {
    await prisma.$disconnect();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (isAppError(error)) console.error(`operator: ${error.message}`);
    else console.error(`operator: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
