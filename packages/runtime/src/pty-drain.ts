import { readSync } from 'node:fs';

/** Bigger than anything the kernel holds for one terminal after its last writer closed (n_tty 4 KB + 64 KB tty buffer). */
const CHUNK = 64 * 1024;

/**
 * Reads what is still in a PTY master after its stream reported end-of-file, until the kernel says EIO (every slave
 * closed and nothing left) or EAGAIN (nothing readable now); returns how it stopped.
 *
 * Why: libuv reports EOF on a stream whose poll says POLLHUP right after a short read (uv__stream_io: "partial read +
 * POLLHUP = nothing left"). That holds for pipes and sockets, not for a PTY master: a read there never returns more
 * than the line discipline's 4 KB buffer, so every read is "short", and the kernel raises POLLHUP as soon as the last
 * slave closes, while the rest of what the agent wrote still waits in the terminal's buffer to be moved into the line
 * discipline. Node then ends the stream and closes the fd, and those last 2-7 KB were lost about one run in eight under
 * load (issue 12's 100 MB capture). A read on the master once the slave is closed waits for that move itself
 * (n_tty_read flushes the pending buffer work before it answers EIO), so reading to EIO here gets every byte.
 */
export function drainAfterHangup(fd: number, onChunk: (chunk: Buffer) => void): 'eio' | 'again' | 'closed' {
  for (;;) {
    const buffer = Buffer.allocUnsafe(CHUNK);
    let n: number;
    try {
      n = readSync(fd, buffer, 0, CHUNK, null);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return 'again';
      if (code === 'EBADF') return 'closed';
      return 'eio';
    }
    if (n === 0) return 'eio';
    onChunk(buffer.subarray(0, n));
  }
}
