import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Shutdown } from './shutdown';

const silent = pino({ level: 'silent' });

describe('Shutdown', () => {
  it('closes in reverse registration order, once', async () => {
    const order: string[] = [];
    const shutdown = new Shutdown(silent, 1_000);
    shutdown.register('db', async () => order.push('db'));
    shutdown.register('server', async () => order.push('server'));
    await Promise.all([shutdown.run('test'), shutdown.run('again')]);
    expect(order).toEqual(['server', 'db']);
  });

  it('still closes later resources when one close fails, and reports the failure', async () => {
    const order: string[] = [];
    const shutdown = new Shutdown(silent, 1_000);
    shutdown.register('db', async () => order.push('db'));
    shutdown.register('broken', async () => {
      throw new Error('nope');
    });
    await expect(shutdown.run('test')).rejects.toBeInstanceOf(AggregateError);
    expect(order).toEqual(['db']);
  });

  it('gives up at the deadline', async () => {
    const shutdown = new Shutdown(silent, 30);
    shutdown.register('hung', () => new Promise(() => {}));
    await expect(shutdown.run('test')).rejects.toThrow('deadline');
  });
});
