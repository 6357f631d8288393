import { describe, expect, it } from 'vitest';
import { FleetError } from '../errors';
import { checkLayout, DEFAULT_BOX_LAYOUT } from './box-layout';

describe('checkLayout', () => {
  it('accepts the default layout', () => {
    expect(checkLayout(DEFAULT_BOX_LAYOUT)).toBe(DEFAULT_BOX_LAYOUT);
  });

  it("refuses root's directories inside the runtime user's, where that user could swap them for symlinks", () => {
    for (const layout of [
      { ...DEFAULT_BOX_LAYOUT, installDir: '/var/lib/paddock/opt' },
      { ...DEFAULT_BOX_LAYOUT, configDir: '/var/log/paddock/etc' },
      { ...DEFAULT_BOX_LAYOUT, logDir: '/var/lib/paddock/log' },
      { ...DEFAULT_BOX_LAYOUT, dataDir: '/var/log/paddock/data' },
    ]) {
      expect(() => checkLayout(layout)).toThrow(FleetError);
    }
    // A sibling that merely shares a prefix is fine.
    expect(() => checkLayout({ ...DEFAULT_BOX_LAYOUT, installDir: '/var/lib/paddock-code' })).not.toThrow();
  });
});
