import { StringDecoder } from 'node:string_decoder';
import type { ApiClient } from './api-client';
import type { CliIo } from './command-context';

/** The upgrade the API's operator shell answers (apps/api/src/http/operator-shell-upgrade.ts). */
const SHELL_PROTOCOL = 'paddock-shell';

/**
 * An interactive shell on a box through the operator API: the terminal's bytes go both ways unframed until either
 * side closes. On a terminal, stdin is put in raw mode (keys such as Ctrl-C reach the box's shell, not this process)
 * and restored at the end; the box's pty gets this terminal's size. Piped stdin works too (commands, then EOF).
 */
export async function runBoxShell(client: ApiClient, boxId: string, io: CliIo): Promise<void> {
  const size = io.terminal ? { cols: io.terminal.columns, rows: io.terminal.rows } : {};
  const { socket, head } = await client.upgrade(
    `/v1/operator/boxes/${encodeURIComponent(boxId)}/shell`,
    SHELL_PROTOCOL,
    size,
  );
  const stdin = io.stdin as NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => void };
  const raw = Boolean(stdin.isTTY && stdin.setRawMode);
  if (raw) stdin.setRawMode?.(true);
  const decoder = new StringDecoder('utf8');
  const show = (chunk: Buffer) => io.stdout.write(decoder.write(chunk));
  if (head.length > 0) show(head);
  socket.on('data', show);
  const forward = (chunk: Buffer | string) => socket.write(chunk);
  // EOF on a pipe: the box's shell runs in a pty, where EOF is only a keystroke (Ctrl-D), and one that arrives before
  // the shell has put the terminal in its own mode can be lost in the switch (seen under load: the shell waited for
  // ever). An `exit` line ends it in either mode once it has run what it was given. Not a half-close: the server would
  // end the connection on it before the shell's last output came back.
  const ended = () => socket.write('\nexit\n');
  stdin.on('data', forward);
  stdin.once('end', ended);
  stdin.resume();
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('close', () => resolve());
      socket.once('error', reject);
    });
  } finally {
    stdin.off('data', forward);
    stdin.off('end', ended);
    stdin.pause();
    if (raw) stdin.setRawMode?.(false);
    io.stdout.write(decoder.end());
  }
}
