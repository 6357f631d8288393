import type { CliIo } from './command-context';
import { CliError } from './errors';

/**
 * The operator's password: typed at a terminal without echo, or read from stdin for scripts (`--password-stdin`,
 * or whenever stdin is not a terminal). Never from the command line, where every local user could read it in `ps`.
 */
export async function readPassword(io: CliIo, fromStdin: boolean): Promise<string> {
  if (fromStdin || !io.stdin.isTTY) {
    const text = await readAll(io.stdin);
    const line = text.replace(/\r?\n$/, '');
    if (line.length === 0) throw new CliError('no password on stdin');
    return line;
  }
  // Loaded only for the prompt: every other command starts faster without it.
  const { default: password } = await import('@inquirer/password');
  return password({ message: 'Password', mask: false });
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buffer.length;
    if (size > 64 * 1024) throw new CliError('stdin holds more than 64 KiB: that is not a password');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
