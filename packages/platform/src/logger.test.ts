import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loggerOptions } from './logger';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: pino(loggerOptions('test', 'info'), stream), text: () => lines.join('') };
}

describe('logger redaction', () => {
  it('never prints credentials from headers or our own fields', () => {
    const { logger, text } = capture();
    logger.info(
      {
        req: { headers: { authorization: 'Bearer sekrit-token-1', cookie: 'sid=sekrit-cookie-2' } },
        password: 'sekrit-pass-3',
        box: { privateKey: 'sekrit-key-4', name: 'box-1' },
        secret: { name: 'OPENAI_KEY', value: 'sekrit-value-5' },
      },
      'request',
    );
    const out = text();
    expect(out).toContain('box-1');
    expect(out).toContain('[redacted]');
    for (const leaked of ['sekrit-token-1', 'sekrit-cookie-2', 'sekrit-pass-3', 'sekrit-key-4', 'sekrit-value-5']) {
      expect(out).not.toContain(leaked);
    }
  });
});
