import { readFile } from 'node:fs/promises';
import { CliError, EXIT_USAGE } from '../errors';

/** A request body from a JSON file (`-` for stdin is not offered: bodies are kept, reviewed and repeated). */
export async function readJsonFile(path: string): Promise<unknown> {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new CliError(`cannot read ${path}: ${error.code ?? error.message}`, EXIT_USAGE);
  });
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CliError(`${path} is not JSON: ${(error as Error).message}`, EXIT_USAGE);
  }
}
