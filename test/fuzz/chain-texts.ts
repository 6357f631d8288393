import { ChainDefinitionSchema } from '@paddock/contracts';
import fc from 'fast-check';
import { hostileString } from '../support/hostile-values';
import { zodArbitrary } from '../support/zod-arbitrary';

// Generated chain files: valid chains cut, spliced and shuffled at random places, YAML's own sharp edges (anchors,
// tags, merge keys, documents, tabs, BOMs, NULs), prototype keys, and whole definitions generated from the chain
// schema as JSON (which is YAML too). Each case comes with the files its chain may reference.

export const PROMPTS: Record<string, string> = {
  'prompts/draft.md': 'Write a draft.\n',
  'prompts/ship.md': 'Ship it.\n',
};

const SEEDS = [
  `name: review-flow
description: Drafts, reviews, ships
agents:
  draft:
    run: claude -p
    prompt: prompts/draft.md
  review:
    needs: [draft]
    decision:
      prompt: Ship it?
      show: draft
  ship:
    run: ./ship.sh
    needs: [review]
    prompt: ./prompts/ship.md
    when: { decision: review, option: approve }
`,
  `name: linear
agents:
  a:
    run: echo a
  b:
    run: cat
    needs: [a]
    input: [a, { run_input: topic }]
`,
  '{"name":"json-chain","agents":{"a":{"run":"echo a","prompt":"prompts/draft.md"}}}\n',
];

const YAML_EDGES = [
  '\t',
  ': ',
  '- ',
  '{',
  '[',
  ']',
  '&a ',
  '*a',
  '*missing',
  '<<: *a\n',
  '!!binary aGVsbG8=',
  '!!js/function "function(){}"',
  '!!python/object:os.system ["id"]',
  '---\n',
  '...\n',
  '%YAML 1.1\n',
  '%TAG ! tag:evil.example,2026:\n',
  '? complex\n: key\n',
  '\u0000',
  '\uFEFF',
  '\r\n',
  '\u2028',
  '"\\u0000"',
  '  colour: red\n',
  '    needs: [nope]\n',
  '    needs: [draft, draft]\n',
  '    needs: [ship]\n',
  '__proto__: {polluted: yes}\n',
  '  __proto__:\n    polluted: yes\n',
  'constructor: {prototype: {polluted: yes}}\n',
  '9999999999999999999999999999',
  '1e400',
  '.nan',
  '-.inf',
  '~',
  '0o777',
  ' '.repeat(2_000),
  `a: ${'x'.repeat(20_000)}\n`,
  `${'- '.repeat(300)}x\n`,
  `${'['.repeat(500)}${']'.repeat(500)}`,
  '    prompt: ../../../../etc/passwd\n',
  '    prompt: /etc/shadow\n',
  '    timeout: -1\n',
  '    timeout: 99999999999d\n',
];

type Mutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'deleteLine'; line: number }
  | { kind: 'duplicateLine'; line: number }
  | { kind: 'swapLines'; a: number; b: number }
  | { kind: 'replaceValue'; line: number; value: string };

const position = fc.nat({ max: 10_000 });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: position }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: position,
    text: fc.oneof({ arbitrary: fc.constantFrom(...YAML_EDGES), weight: 4 }, { arbitrary: hostileString, weight: 1 }),
  }),
  fc.record({ kind: fc.constant('deleteLine' as const), line: position }),
  fc.record({ kind: fc.constant('duplicateLine' as const), line: position }),
  fc.record({ kind: fc.constant('swapLines' as const), a: position, b: position }),
  fc.record({
    kind: fc.constant('replaceValue' as const),
    line: position,
    value: fc.oneof(
      fc.constantFrom(...YAML_EDGES),
      hostileString.map((s) => JSON.stringify(s)),
    ),
  }),
);

function apply(text: string, m: Mutation): string {
  const lines = text.split('\n');
  const pick = (n: number) => n % Math.max(lines.length, 1);
  switch (m.kind) {
    case 'truncate':
      return text.slice(0, m.at % (text.length + 1));
    case 'insert': {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + m.text + text.slice(at);
    }
    case 'deleteLine':
      lines.splice(pick(m.line), 1);
      return lines.join('\n');
    case 'duplicateLine':
      lines.splice(pick(m.line), 0, lines[pick(m.line)] ?? '');
      return lines.join('\n');
    case 'swapLines': {
      const [a, b] = [pick(m.a), pick(m.b)];
      [lines[a], lines[b]] = [lines[b] ?? '', lines[a] ?? ''];
      return lines.join('\n');
    }
    case 'replaceValue': {
      const i = pick(m.line);
      const line = lines[i] ?? '';
      const colon = line.indexOf(': ');
      lines[i] = colon < 0 ? `${line}${m.value}` : `${line.slice(0, colon + 2)}${m.value}`;
      return lines.join('\n');
    }
  }
}

/** A chain file's text: a mutated valid chain, or a definition generated from the schema. */
export const chainText: fc.Arbitrary<string> = fc.oneof(
  {
    arbitrary: fc
      .tuple(fc.constantFrom(...SEEDS), fc.array(mutation, { minLength: 1, maxLength: 4 }))
      .map(([seed, mutations]) => mutations.reduce(apply, seed)),
    weight: 5,
  },
  { arbitrary: zodArbitrary(ChainDefinitionSchema).map((value) => JSON.stringify(value) ?? 'null'), weight: 2 },
  { arbitrary: fc.constantFrom(...SEEDS), weight: 1 },
);
