import { type Readable, Transform } from 'node:stream';

/**
 * `source` cut to its first `maxBytes` bytes. What a box streams as a step output is the box's to say: it was asked
 * for at most `maxBytes`, but a tampered box may send more, for ever. Past the cap the source is destroyed (for SSH:
 * the exec channel closes). Backpressure is kept (piped), so a slow client holds the box back, not this process.
 */
export function capBytes(source: Readable, maxBytes: number): Readable {
  let left = maxBytes;
  const capped = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (left <= 0) return done();
      const piece = chunk.length <= left ? chunk : chunk.subarray(0, left);
      left -= piece.length;
      done(null, piece);
      if (left <= 0) {
        source.unpipe(capped);
        capped.end();
        source.destroy();
      }
    },
  });
  source.once('error', (error) => capped.destroy(error));
  capped.once('close', () => source.destroy());
  return source.pipe(capped);
}
