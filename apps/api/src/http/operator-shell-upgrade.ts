import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { AppError, httpStatusFor } from '@paddock/contracts';
import { FleetError } from '@paddock/fleet';
import { authenticateOperator, openOperatorShellSession } from '@paddock/services';
import { assertOperatorRole } from './authenticate';
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps';

const SHELL_PATH = /^\/v1\/operator\/boxes\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/shell$/;
export const SHELL_PROTOCOL = 'paddock-shell';

/**
 * `GET /v1/operator/boxes/:id/shell` with `Upgrade: paddock-shell` and an operator's bearer token: an interactive
 * shell on the box (a login shell in a pty, `cols` and `rows` from the query). After `101 Switching Protocols` the
 * connection carries the terminal's raw bytes both ways (no framing: what the CLI reads from stdin in raw mode goes
 * in, what the box's pty writes comes out); either side closing ends the shell. Operators only (a tenant key is a
 * 401 before anything is opened), audited on open and close (services/box-health/operator-shell-session.ts).
 * Fastify does not take upgrades itself, so this listens on the server's `upgrade` event.
 */
export function registerOperatorShellUpgrade(app: FastifyInstance, deps: Pick<ApiDeps, 'prisma' | 'vault' | 'ssh'>) {
  app.server.on('upgrade', (request, socket: Duplex, head: Buffer) => {
    void handleUpgrade(deps, request, socket, head).catch((error: unknown) => {
      app.log.error({ err: error }, 'operator shell failed');
      refuse(socket, new AppError('internal', 'The shell could not be opened.'));
    });
  });
}

async function handleUpgrade(
  deps: Pick<ApiDeps, 'prisma' | 'vault' | 'ssh'>,
  request: import('node:http').IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<void> {
  socket.on('error', () => socket.destroy());
  const url = new URL(request.url ?? '/', 'http://localhost');
  const match = SHELL_PATH.exec(url.pathname);
  if (!match?.[1]) return refuse(socket, new AppError('route_not_found', `No upgrade route ${url.pathname}.`));
  if ((request.headers.upgrade ?? '').toLowerCase() !== SHELL_PROTOCOL) {
    return refuse(socket, new AppError('bad_request', `Ask for Upgrade: ${SHELL_PROTOCOL}.`));
  }
  const token = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
  if (!token) return refuse(socket, new AppError('unauthenticated', 'This route needs an operator session.'));
  let operator: Awaited<ReturnType<typeof authenticateOperator>>;
  try {
    operator = await authenticateOperator({ prisma: deps.prisma }, token);
    // A root shell on a box is a change, whatever the method says: viewers may not open one.
    assertOperatorRole(operator.role, 'operator');
  } catch (error) {
    return refuse(socket, error);
  }
  const size = (name: string, max: number) => {
    const value = Number(url.searchParams.get(name));
    return Number.isInteger(value) && value >= 1 && value <= max ? value : undefined;
  };
  const cols = size('cols', 1_000);
  const rows = size('rows', 1_000);
  let session: Awaited<ReturnType<typeof openOperatorShellSession>>;
  try {
    session = await openOperatorShellSession(
      { prisma: deps.prisma, vault: deps.vault, timeouts: deps.ssh.timeouts, recorder: deps.ssh.recorder },
      { boxId: match[1], ...(cols ? { cols } : {}), ...(rows ? { rows } : {}) },
      {
        userId: operator.userId,
        email: operator.email,
        ip: request.socket.remoteAddress ?? null,
        userAgent: request.headers['user-agent'] ?? null,
      },
    );
  } catch (error) {
    return refuse(socket, error);
  }
  if (socket.destroyed) {
    await session.end();
    return;
  }
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${SHELL_PROTOCOL}\r\nConnection: Upgrade\r\n\r\n`);
  if (head.length > 0) session.channel.write(head);
  socket.pipe(session.channel);
  session.channel.pipe(socket);
  socket.once('close', () => void session.end());
  session.channel.once('close', () => socket.end());
}

function refuse(socket: Duplex, error: unknown): void {
  if (socket.destroyed) return;
  const known =
    error instanceof AppError
      ? error
      : error instanceof FleetError && error.failure === 'host_key_mismatch'
        ? new AppError('box_host_key_changed', 'The box presented another host key than the pinned one: no shell.')
        : new AppError('upstream_unavailable', 'The box could not be reached.');
  const status = httpStatusFor(known.code);
  const body = JSON.stringify({ error: { code: known.code, message: known.message } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json\r\nConnection: close\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
