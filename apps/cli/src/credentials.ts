import { chmod, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { CliError } from './errors';

/** What `paddock login` keeps: the server it logged in to and the operator session token (a bearer credential). */
const SavedLoginSchema = z.object({
  server: z.string().url(),
  token: z.string().min(1),
  email: z.string().optional(),
  expiresAt: z.string().optional(),
});

export type SavedLogin = z.output<typeof SavedLoginSchema>;

/** The saved login, or null before the first `paddock login` (or after `logout`). */
export async function readLogin(file: string): Promise<SavedLogin | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CliError(`${file} is not valid JSON: log in again (paddock login)`);
  }
  const parsed = SavedLoginSchema.safeParse(json);
  if (!parsed.success) throw new CliError(`${file} is not a paddock login: log in again (paddock login)`);
  return parsed.data;
}

/**
 * Writes the login 0600 in a 0700 directory. The token is written to a new file created 0600 (never a file that
 * was readable first, however briefly) and renamed over the old one, so a crash leaves the old login or the new.
 */
export async function writeLogin(file: string, login: SavedLogin): Promise<void> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const temporary = `${file}.${process.pid}.tmp`;
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(login, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, file);
}

export async function removeLogin(file: string): Promise<void> {
  await rm(file, { force: true });
}
