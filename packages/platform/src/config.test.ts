import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './config';

const Schema = z.object({ PORT: z.coerce.number().int().max(65_535), NAME: z.string().default('x') });

describe('parseConfig', () => {
  it('parses and applies defaults', () => {
    expect(parseConfig('app', Schema, { PORT: '80' })).toEqual({ PORT: 80, NAME: 'x' });
  });

  it('names every bad variable in one error', () => {
    try {
      parseConfig('app', Schema, { PORT: '99999' });
      expect.unreachable('parseConfig accepted a port out of range');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toHaveLength(1);
      expect((error as ConfigError).message).toContain('PORT');
    }
  });
});
