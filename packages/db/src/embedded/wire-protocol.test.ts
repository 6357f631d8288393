import { describe, expect, it } from 'vitest';
import { fatalError, ReadyForQueryTracker } from './wire-protocol';

function message(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0);
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

const ready = (status: 'I' | 'T' | 'E') => message('Z', Buffer.from(status));
// A DataRow whose bytes end exactly like a ReadyForQuery: only real message framing tells them apart.
const trickyRow = message('D', Buffer.concat([Buffer.from([0, 1, 0, 0, 0, 6]), Buffer.from('Z\0\0\0\x05I')]));

describe('ReadyForQueryTracker', () => {
  it('finds ReadyForQuery and its status however the stream is cut', () => {
    const stream = Buffer.concat([message('C', Buffer.from('SELECT 1\0')), ready('T')]);
    for (const size of [1, 2, 3, 7, stream.length]) {
      const tracker = new ReadyForQueryTracker();
      for (let offset = 0; offset < stream.length; offset += size) tracker.push(stream.subarray(offset, offset + size));
      expect(tracker.lastReady).toBe('T');
    }
  });

  it('is not fooled by message bodies that look like ReadyForQuery', () => {
    const tracker = new ReadyForQueryTracker();
    tracker.push(Buffer.concat([ready('I'), trickyRow]));
    expect(tracker.lastReady).toBeNull();
  });

  it('reports only the last complete message', () => {
    const tracker = new ReadyForQueryTracker();
    tracker.push(Buffer.concat([ready('I'), message('1', Buffer.alloc(0))]));
    expect(tracker.lastReady).toBeNull();
    tracker.push(ready('E'));
    expect(tracker.lastReady).toBe('E');
  });
});

describe('fatalError', () => {
  it('builds an ErrorResponse with severity, code and message', () => {
    const error = fatalError('53300', 'too many');
    expect(error.subarray(0, 1).toString()).toBe('E');
    expect(error.readInt32BE(1)).toBe(error.length - 1);
    expect(error.subarray(5).toString()).toBe('SFATAL\0VFATAL\0C53300\0Mtoo many\0\0');
  });
});
