import { describe, expect, it } from 'vitest';
import { ProtocolRequestSchema, ProtocolServerMessageSchema } from './protocol-schema';

describe('serve --stdio protocol schemas', () => {
  it('accepts each operation and fills defaults', () => {
    const run = ProtocolRequestSchema.parse({ v: 1, id: 1, op: 'run', file: 'chain.yaml' });
    expect(run).toEqual({ v: 1, id: 1, op: 'run', file: 'chain.yaml', inputs: {} });
    const events = ProtocolRequestSchema.parse({ v: 1, id: 'e', op: 'events', since: 'j1:0' });
    expect(events).toMatchObject({ limit: 1000 });
  });

  it('refuses unknown ops, other versions and missing fields', () => {
    expect(ProtocolRequestSchema.safeParse({ v: 1, id: 1, op: 'rm -rf' }).success).toBe(false);
    expect(ProtocolRequestSchema.safeParse({ v: 2, id: 1, op: 'health' }).success).toBe(false);
    expect(ProtocolRequestSchema.safeParse({ v: 1, id: 1, op: 'decide', run_id: 'r', step: 's' }).success).toBe(false);
  });

  it('parses server messages of every type', () => {
    expect(
      ProtocolServerMessageSchema.parse({ v: 1, type: 'hello', protocol: 1, version: '0.1.0', root: '/r' }),
    ).toMatchObject({
      type: 'hello',
    });
    const error = { v: 1, type: 'response', id: null, ok: false, error: { code: 'invalid_json', message: 'bad' } };
    expect(ProtocolServerMessageSchema.parse(error)).toEqual(error);
  });
});
