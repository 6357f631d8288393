import fc from 'fast-check';

// Boundary and hostile values a caller can put anywhere a value goes: what a careful attacker (or a broken client)
// sends. Each one has broken a real system somewhere: NUL bytes (PostgreSQL refuses them in text), lone surrogates
// (invalid UTF-8 once encoded), numbers past int4 / int8 / double, numeric strings that coerce oddly, traversal
// and shell text, operator objects (`{"$gt": ""}`), deep nesting.

const HOSTILE_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\uD800',
  'x\uDFFFy',
  '\u202Egnp.exe',
  '😀'.repeat(64),
  'é'.repeat(700),
  'x'.repeat(4_096),
  '9'.repeat(400),
  '-1',
  '0',
  '1e309',
  '0x10',
  'NaN',
  'Infinity',
  ' 1 ',
  'true',
  'null',
  'undefined',
  '__proto__',
  'constructor',
  '../../../../etc/passwd',
  '..',
  '$(touch /tmp/pwned)',
  '`id`',
  "'; DROP TABLE tenants; --",
  '%00',
  '\r\nX-Injected: 1',
  '<script>alert(1)</script>',
  '2026-13-45T99:99:99Z',
  '00000000-0000-0000-0000-000000000000',
  'FFFFFFFF-FFFF-4FFF-BFFF-FFFFFFFFFFFF',
] as const;

const HOSTILE_NUMBERS = [
  0,
  -0,
  -1,
  1,
  0.5,
  -0.5,
  2 ** 31 - 1,
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 32,
  2 ** 53 - 1,
  2 ** 53 + 2,
  2 ** 63,
  -(2 ** 63),
  1e21,
  1e308,
  -1e308,
  5e-324,
] as const;

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...HOSTILE_STRINGS), weight: 4 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'grapheme', minLength: 200, maxLength: 2_000 }), weight: 1 },
);

export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  { arbitrary: fc.constantFrom(...HOSTILE_NUMBERS), weight: 3 },
  { arbitrary: fc.integer(), weight: 1 },
  { arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }), weight: 1 },
);

/** Nested arrays deep enough to trip naive recursive walkers, small enough for the body limit. */
const deepArray = fc
  .integer({ min: 50, max: 1_000 })
  .map((depth) => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`));

/** Any JSON value a field could be handed instead of the one it expects. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: hostileString, weight: 4 },
  { arbitrary: hostileNumber, weight: 3 },
  { arbitrary: fc.constantFrom(true, false, null, [], [null], {}, { $gt: '' }, { length: 1e9 }), weight: 2 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 1 },
  { arbitrary: deepArray, weight: 1 },
);

/**
 * Key names that are not what a schema expects. `__proto__` itself is added as JSON text by the body serializer:
 * assigned as a property in JavaScript it would set the prototype instead of making a key.
 */
export const hostileKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('constructor', 'prototype', 'toString', 'hasOwnProperty', 'then', 'tenantId', 'id', 'role', 'admin'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 24 }),
);

/** What to splice into a JSON object body to try prototype pollution through the parser or a merge. */
export type Pollution = 'none' | 'proto' | 'constructor';
export const pollution: fc.Arbitrary<Pollution> = fc.oneof(
  { arbitrary: fc.constant<Pollution>('none'), weight: 8 },
  { arbitrary: fc.constantFrom<Pollution>('proto', 'constructor'), weight: 1 },
);

/** The JSON text of a value, with a pollution key spliced into the top-level object when asked for. */
export function toJsonText(value: unknown, pollute: Pollution): string {
  const text = JSON.stringify(value) ?? 'null';
  if (pollute === 'none' || !text.startsWith('{')) return text;
  const key = pollute === 'proto' ? '"__proto__":{"polluted":"yes"}' : '"constructor":{"prototype":{"polluted":"yes"}}';
  return text === '{}' ? `{${key}}` : `{${key},${text.slice(1)}`;
}

/** True when some request managed to add a property to every object. */
export function prototypePolluted(): boolean {
  const probe: Record<string, unknown> = {};
  return probe.polluted !== undefined || Object.keys(Object.prototype).length > 0;
}
