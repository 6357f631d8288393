import { connect } from 'node:net';

/** True when something at host:port answers with an SSH banner within `timeoutMs` (no login is attempted). */
export function probeSsh(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let banner = '';
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      banner += chunk.toString('latin1');
      if (banner.includes('\n')) done(banner.startsWith('SSH-2.0-') || banner.startsWith('SSH-1.99-'));
    });
    socket.on('error', () => done(false));
    socket.on('end', () => done(false));
  });
}
