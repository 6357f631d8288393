import fc from 'fast-check';
import { hostileKey, hostileValue } from './hostile-values';

// fast-check arbitraries derived from zod 4 schemas (the API's contracts), for fuzzing. Values are *mostly* valid,
// so requests get past validation and reach the services (where a NUL byte or an int8 overflow turns into a
// database error); with `hostile`, any node may instead be a boundary value, an object may carry extra keys or
// miss a required one. Whatever comes out is sent: a fuzz property holds for every input, valid or not, so the
// generator need not be exact, only good at reaching deep.

interface ZodDef {
  type: string;
  [key: string]: unknown;
}
interface CheckDef {
  check: string;
  [key: string]: unknown;
}

const defOf = (schema: unknown): ZodDef => (schema as { _zod: { def: ZodDef } })._zod.def;
const checksOf = (def: ZodDef): CheckDef[] =>
  ((def.checks as Array<{ _zod: { def: CheckDef } }> | undefined) ?? []).map((c) => c._zod.def);

export interface ZodArbitraryOptions {
  /** Mix boundary values, extra keys and missing keys in at every level (default true). */
  hostile?: boolean;
}

/** A generator for values of `schema` (see the file comment for how exact it is). */
export function zodArbitrary(schema: unknown, options: ZodArbitraryOptions = {}): fc.Arbitrary<unknown> {
  return node(schema, options.hostile ?? true, 0);
}

function node(schema: unknown, hostile: boolean, depth: number): fc.Arbitrary<unknown> {
  const valid = validish(schema, hostile, depth);
  return hostile ? fc.oneof({ arbitrary: valid, weight: 7 }, { arbitrary: hostileValue, weight: 1 }) : valid;
}

/** Whether an object key may be left out (optional, or filled in by a default). */
function isOptional(schema: unknown): boolean {
  const type = defOf(schema).type;
  return type === 'optional' || type === 'default' || type === 'prefault' || type === 'catch';
}

function validish(schema: unknown, hostile: boolean, depth: number): fc.Arbitrary<unknown> {
  if (depth > 8) return fc.constant(null);
  const def = defOf(schema);
  const child = (inner: unknown) => node(inner, hostile, depth + 1);
  switch (def.type) {
    case 'string':
      return stringOf(def);
    case 'number':
    case 'bigint':
      return numberOf(def);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'undefined':
    case 'void':
      return fc.constant(undefined);
    case 'date':
      return fc
        .date({ min: new Date(0), max: new Date('2100-01-01'), noInvalidDate: true })
        .map((d) => d.toISOString());
    case 'enum':
      return fc.constantFrom(...Object.values(def.entries as Record<string, string | number>));
    case 'literal':
      return fc.constantFrom(...(def.values as unknown[]));
    case 'optional':
      return fc.option(child(def.innerType), { nil: undefined, freq: 4 });
    case 'nullable':
      return fc.option(child(def.innerType), { nil: null, freq: 4 });
    case 'default':
    case 'prefault':
    case 'catch':
    case 'readonly':
    case 'nonoptional':
    case 'success':
      return child(def.innerType);
    case 'pipe':
      return validish(def.in, hostile, depth);
    case 'lazy':
      return validish((def.getter as () => unknown)(), hostile, depth + 1);
    case 'array': {
      const { min, max } = lengthsOf(def, 0, 4);
      return fc.array(child(def.element), { minLength: min, maxLength: Math.min(max, min + 4) });
    }
    case 'tuple':
      return fc.tuple(...(def.items as unknown[]).map(child));
    case 'set':
      return fc.array(child(def.valueType), { maxLength: 4 });
    case 'record':
    case 'map':
      return fc.dictionary(stringOrHostile(def.keyType, hostile), child(def.valueType), {
        maxKeys: 4,
      }) as fc.Arbitrary<unknown>;
    case 'union':
      return fc.oneof(...(def.options as unknown[]).map((option) => validish(option, hostile, depth + 1)));
    case 'intersection':
      return fc
        .tuple(validish(def.left, hostile, depth + 1), validish(def.right, hostile, depth + 1))
        .map(([a, b]) => (isPlainObject(a) && isPlainObject(b) ? { ...a, ...b } : a));
    case 'object':
      return objectOf(def, hostile, depth);
    default:
      // unknown, any, transform, custom, ...: anything JSON.
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function objectOf(def: ZodDef, hostile: boolean, depth: number): fc.Arbitrary<unknown> {
  const shape = def.shape as Record<string, unknown>;
  const keys = Object.keys(shape);
  const fields: Record<string, fc.Arbitrary<unknown>> = {};
  for (const key of keys) fields[key] = node(shape[key], hostile, depth + 1);
  const requiredKeys = keys.filter((key) => !isOptional(shape[key]));
  const base = fc.record(fields, { requiredKeys });
  if (!hostile) return base;
  return fc
    .tuple(
      base,
      fc.option(fc.dictionary(hostileKey, hostileValue, { maxKeys: 3 }), { freq: 6 }),
      fc.option(fc.constantFrom(...(requiredKeys.length > 0 ? requiredKeys : ['-'])), { freq: 8 }),
    )
    .map(([value, extra, drop]) => {
      const out: Record<string, unknown> = { ...(extra ?? {}), ...(value as Record<string, unknown>) };
      if (drop !== null) delete out[drop];
      return out;
    });
}

function stringOrHostile(keySchema: unknown, hostile: boolean): fc.Arbitrary<string> {
  const keys = defOf(keySchema).type === 'string' ? stringOf(defOf(keySchema)) : fc.string({ maxLength: 12 });
  return hostile ? fc.oneof(keys, hostileKey) : keys;
}

function lengthsOf(def: ZodDef, min: number, max: number): { min: number; max: number } {
  let lo = min;
  let hi = max;
  for (const check of checksOf(def)) {
    if (check.check === 'min_length') lo = Math.max(lo, check.minimum as number);
    if (check.check === 'max_length') hi = check.maximum as number;
    if (check.check === 'length_equals') lo = hi = check.length as number;
  }
  return { min: lo, max: Math.max(lo, hi) };
}

function stringOf(def: ZodDef): fc.Arbitrary<string> {
  const checks = checksOf(def);
  const { min, max } = lengthsOf(def, 0, 64);
  const format = (def.format as string | undefined) ?? checks.find((c) => c.check === 'string_format')?.format;
  switch (format) {
    case 'uuid':
    case 'guid':
      return fc.uuid();
    case 'email':
      return fc.emailAddress();
    case 'datetime':
      return fc
        .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
        .map((d) => d.toISOString());
    case 'url':
      return fc.webUrl();
    case 'regex': {
      const pattern = checks.find((c) => c.format === 'regex')?.pattern;
      if (pattern instanceof RegExp) {
        // Never filtered on length (a filter that rarely passes spins for ever): strings that match the pattern
        // and strings of the right length, each half the time.
        return fc.oneof(fc.stringMatching(pattern), fc.string({ minLength: min, maxLength: Math.min(max, min + 64) }));
      }
      break;
    }
  }
  const maxLength = Math.min(max, min + 64);
  return fc.oneof(
    { arbitrary: fc.string({ minLength: min, maxLength }), weight: 3 },
    { arbitrary: fc.string({ unit: 'grapheme', minLength: min, maxLength }), weight: 1 },
    { arbitrary: awkwardString(min, max), weight: 1 },
  );
}

/**
 * Strings that pass a plain length check yet break what lies behind it: a NUL (PostgreSQL refuses it in text), a
 * lone surrogate (not UTF-8), the longest allowed, padded with spaces, characters outside the BMP.
 */
function awkwardString(min: number, max: number): fc.Arbitrary<string> {
  const sized = (text: string) => (text.length >= min ? text : text.padEnd(min, text || 'x')).slice(0, max);
  return fc
    .constantFrom('a\u0000b', '\u0000', 'x\uD800y', '\uDFFF', '😀😀', ` ${'é'.repeat(8)} `, '%00', '../x', '\u202E')
    .chain((text) =>
      fc.constantFrom(sized(text), sized(text.repeat(Math.ceil(Math.min(max, 4_096) / Math.max(text.length, 1))))),
    );
}

function numberOf(def: ZodDef): fc.Arbitrary<number> {
  let min = -(2 ** 40);
  let max = 2 ** 40;
  let integer = false;
  for (const check of checksOf(def)) {
    if (check.check === 'greater_than') min = (check.value as number) + (check.inclusive ? 0 : 1);
    if (check.check === 'less_than') max = (check.value as number) - (check.inclusive ? 0 : 1);
    if (check.check === 'number_format' && String(check.format).includes('int')) integer = true;
  }
  min = Math.max(min, Number.MIN_SAFE_INTEGER);
  max = Math.min(max, Number.MAX_SAFE_INTEGER);
  if (min > max) return fc.constant(min);
  const inRange = integer
    ? fc.integer({ min: Math.ceil(min), max: Math.floor(max) })
    : fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
  // Edges are where off-by-one bugs live, and the limits of the columns behind (int4, int8, a double's integers).
  const edges = [min, max, 2 ** 31 - 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 - 1].filter((n) => n >= min && n <= max);
  return fc.oneof({ arbitrary: inRange, weight: 3 }, { arbitrary: fc.constantFrom(...edges), weight: 1 });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
