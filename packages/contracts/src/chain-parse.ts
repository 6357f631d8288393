import { isMap, isScalar, isSeq, LineCounter, type Node, type Pair, parseDocument, type YAMLMap } from 'yaml';
import { z } from 'zod';
import { findCycle, upstreamOf } from './chain-graph';
import {
  AgentStepSchema,
  type ChainDefinition,
  ChainDefinitionSchema,
  type ChainStep,
  DecisionStepSchema,
  type InputSource,
  isDecisionStep,
} from './chain-schema';

/** One problem in a chain file, located so an editor (or a person) can jump to it. Line and column are 1-based. */
export const ChainErrorSchema = z.object({
  file: z.string(),
  line: z.number().int(),
  column: z.number().int(),
  field: z.string(),
  message: z.string(),
});
export type ChainError = z.infer<typeof ChainErrorSchema>;

export type ChainParseResult = { ok: true; chain: ChainDefinition } | { ok: false; errors: ChainError[] };

type PathSegment = string | number;

export function formatChainError(error: ChainError): string {
  const where = error.field ? `${error.field}: ` : '';
  return `${error.file}:${error.line}:${error.column}: ${where}${error.message}`;
}

export function fieldName(path: readonly PathSegment[]): string {
  return path.reduce<string>(
    (acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg),
    '',
  );
}

/**
 * Parses a chain written in YAML or JSON (JSON is read by the YAML parser, so both get the same located errors) and
 * checks everything that can be checked without running it: schema, graph, references between steps.
 */
export function parseChainDefinition(text: string, fileName: string): ChainParseResult {
  const lineCounter = new LineCounter();
  // uniqueKeys is off because yaml checks each key against every earlier key of its map (quadratic: 20,000 keys took
  // 3.6 s); duplicateKeyErrors below does the same check with one Set per map.
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false });
  const at = (offset: number, path: readonly PathSegment[], message: string): ChainError => {
    const pos = lineCounter.linePos(offset);
    return { file: fileName, line: pos.line, column: pos.col, field: fieldName(path), message };
  };
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => at(e.pos[0], [], e.message.split('\n')[0] ?? 'invalid YAML')),
    };
  }
  const duplicates = duplicateKeyErrors(doc.contents);
  if (duplicates.length > 0) {
    return {
      ok: false,
      errors: duplicates.map(({ offset, path }) => at(offset, path, 'is defined twice (names must be unique)')),
    };
  }
  const index = new WeakMap<object, Map<string, Pair>>();
  const locate = (path: readonly PathSegment[], message: string, onKey = false): ChainError =>
    at(offsetOf(doc.contents, path, onKey, index), path, message);

  let raw: unknown;
  try {
    // Aliases are expanded here: yaml refuses a document whose aliases expand past maxAliasCount (a "billion
    // laughs" bomb), which must be the author's error, not the API's 500.
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_EXPANSIONS });
  } catch (error) {
    if (error instanceof ReferenceError) return { ok: false, errors: [at(0, [], 'uses too many aliases (*name)')] };
    throw error;
  }
  const top = ChainDefinitionSchema.safeParse(raw);
  const errors: ChainError[] = [];
  if (!top.success) {
    errors.push(...top.error.issues.flatMap((issue) => issueToErrors(issue, [], locate)));
    return { ok: false, errors: sortErrors(errors) };
  }
  const agents: Record<string, ChainStep> = {};
  for (const [name, stepRaw] of Object.entries(top.data.agents)) {
    const isDecision = typeof stepRaw === 'object' && stepRaw !== null && 'decision' in stepRaw;
    const parsed = isDecision ? DecisionStepSchema.safeParse(stepRaw) : AgentStepSchema.safeParse(stepRaw);
    if (parsed.success) agents[name] = parsed.data;
    else {
      errors.push(...unknownNeedsOfRaw(name, stepRaw, new Set(Object.keys(top.data.agents)), locate));
      errors.push(...parsed.error.issues.flatMap((issue) => issueToErrors(issue, ['agents', name], locate)));
    }
  }
  const chain: ChainDefinition = { ...top.data, agents };
  // References are checked even when some steps failed their schema, so one run of validate reports everything.
  errors.push(...checkReferences(chain, locate, new Set(Object.keys(top.data.agents)), errors.length > 0));
  return errors.length > 0 ? { ok: false, errors: sortErrors(errors) } : { ok: true, chain };
}

/** Alias expansions allowed while converting a document (yaml's own default, written out because it is a bound). */
const MAX_ALIAS_EXPANSIONS = 100;

/** Keys defined twice in one mapping, in one pass over the document with a Set per mapping. */
function duplicateKeyErrors(root: unknown): { offset: number; path: PathSegment[] }[] {
  const found: { offset: number; path: PathSegment[] }[] = [];
  const pending: { node: unknown; path: PathSegment[] }[] = [{ node: root, path: [] }];
  while (pending.length > 0) {
    const { node, path } = pending.pop() as { node: unknown; path: PathSegment[] };
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
        if (key !== undefined && seen.has(key)) found.push({ offset: rangeStart(pair.key) ?? 0, path: [...path, key] });
        if (key !== undefined) seen.add(key);
        pending.push({ node: pair.value, path: key === undefined ? path : [...path, key] });
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        pending.push({ node: item, path: [...path, i] });
      });
    }
  }
  return found.sort((a, b) => a.offset - b.offset);
}

/** `needs` of a step that failed its schema, checked anyway so the author sees every problem at once. */
function unknownNeedsOfRaw(name: string, raw: unknown, names: Set<string>, locate: Locate): ChainError[] {
  const needs = typeof raw === 'object' && raw !== null ? (raw as { needs?: unknown }).needs : undefined;
  if (!Array.isArray(needs)) return [];
  return needs.flatMap((need, i) =>
    typeof need === 'string' && !names.has(need)
      ? [locate(['agents', name, 'needs', i], `unknown step "${need}"`)]
      : [],
  );
}

type Locate = (path: readonly PathSegment[], message: string, onKey?: boolean) => ChainError;

function issueToErrors(issue: z.core.$ZodIssue, prefix: PathSegment[], locate: Locate): ChainError[] {
  const path = [...prefix, ...(issue.path as PathSegment[])];
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => locate([...path, key], 'is not a known field', true));
  }
  if (issue.code === 'invalid_key') {
    return [locate(path, `step name ${issue.issues[0]?.message ?? 'is invalid'}`, true)];
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    const message = issue.message.startsWith('Invalid input') ? 'is required' : issue.message;
    return [locate(path, message)];
  }
  if (issue.code === 'invalid_union') {
    const specific = issue.errors.flat().find((sub) => sub.code !== 'invalid_type');
    if (specific) return issueToErrors({ ...specific, path: [...issue.path, ...specific.path] }, prefix, locate);
  }
  return [locate(path, issue.message)];
}

function inputSteps(input: InputSource | InputSource[] | undefined): { step: string; index: number | undefined }[] {
  if (input === undefined) return [];
  const list = Array.isArray(input) ? input : [input];
  return list.flatMap((source, i) => {
    const index = Array.isArray(input) ? i : undefined;
    if (typeof source === 'string') return [{ step: source, index }];
    if ('from' in source) return [{ step: source.from, index }];
    return [];
  });
}

function checkReferences(chain: ChainDefinition, locate: Locate, names: Set<string>, partial: boolean): ChainError[] {
  const errors: ChainError[] = [];
  for (const [name, step] of Object.entries(chain.agents)) {
    step.needs.forEach((need, i) => {
      if (need === name) errors.push(locate(['agents', name, 'needs', i], 'a step cannot need itself'));
      else if (!names.has(need)) errors.push(locate(['agents', name, 'needs', i], `unknown step "${need}"`));
    });
  }
  const cycle = findCycle(new Map(Object.entries(chain.agents).map(([n, s]) => [n, s.needs.filter((d) => d !== n)])));
  if (cycle) {
    const first = cycle[0] as string;
    errors.push(locate(['agents', first, 'needs'], `cycle: ${cycle.join(' -> ')}`));
    return errors;
  }
  if (errors.length > 0 || partial) return errors;
  for (const [name, step] of Object.entries(chain.agents)) {
    const upstream = upstreamOf(chain, name);
    if (step.when) {
      const target = chain.agents[step.when.decision];
      const whenPath = ['agents', name, 'when', 'decision'];
      if (!target || !isDecisionStep(target)) {
        errors.push(locate(whenPath, `"${step.when.decision}" is not a decision step`));
      } else if (!upstream.has(step.when.decision)) {
        errors.push(locate(whenPath, `"${step.when.decision}" must be upstream of this step (list it in needs)`));
      } else {
        const wanted = Array.isArray(step.when.option) ? step.when.option : [step.when.option];
        for (const option of wanted.filter((o) => !target.decision.options.includes(o))) {
          errors.push(
            locate(['agents', name, 'when', 'option'], `"${option}" is not an option of "${step.when?.decision}"`),
          );
        }
      }
    }
    if (isDecisionStep(step)) {
      const { show, on_timeout: onTimeout, options } = step.decision;
      if (show !== undefined && !upstream.has(show)) {
        errors.push(locate(['agents', name, 'decision', 'show'], `"${show}" must be an upstream step`));
      }
      if (onTimeout !== undefined && !options.includes(onTimeout)) {
        errors.push(locate(['agents', name, 'decision', 'on_timeout'], `"${onTimeout}" is not one of the options`));
      }
      if (new Set(options).size !== options.length) {
        errors.push(locate(['agents', name, 'decision', 'options'], 'options must be unique'));
      }
    } else {
      if (step.stdin === 'terminal' && step.input !== undefined) {
        errors.push(locate(['agents', name, 'stdin'], 'cannot be "terminal" when the step has an `input`'));
      }
      for (const { step: from, index } of inputSteps(step.input)) {
        const path = ['agents', name, 'input', ...(index === undefined ? [] : [index])];
        if (!names.has(from)) errors.push(locate(path, `unknown step "${from}"`));
        else if (!upstream.has(from)) errors.push(locate(path, `"${from}" must be upstream of this step (in needs)`));
      }
    }
  }
  return errors;
}

function sortErrors(errors: ChainError[]): ChainError[] {
  return errors.sort((a, b) => a.line - b.line || a.column - b.column);
}

/** Offset of the node at `path` (or of its key when `onKey`), falling back to the nearest existing ancestor. */
function offsetOf(
  root: Node | null,
  path: readonly PathSegment[],
  onKey: boolean,
  index: WeakMap<object, Map<string, Pair>>,
): number {
  let node: unknown = root;
  let offset = rangeStart(root) ?? 0;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    if (isMap(node)) {
      const pair = pairsOf(node, index).get(String(seg));
      if (!pair) return offset;
      const last = i === path.length - 1;
      offset = (last && onKey ? rangeStart(pair.key) : (rangeStart(pair.value) ?? rangeStart(pair.key))) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (item === undefined) return offset;
      offset = rangeStart(item) ?? offset;
      node = item;
    } else {
      return offset;
    }
  }
  return offset;
}

/**
 * A mapping's pairs by key, built once per mapping: locating each of thousands of errors by scanning the mapping
 * made reporting quadratic (20,000 unknown keys took 5 s).
 */
function pairsOf(map: YAMLMap, index: WeakMap<object, Map<string, Pair>>): Map<string, Pair> {
  let pairs = index.get(map);
  if (!pairs) {
    pairs = new Map();
    for (const pair of map.items) {
      if (isScalar(pair.key) && !pairs.has(String(pair.key.value))) pairs.set(String(pair.key.value), pair as Pair);
    }
    index.set(map, pairs);
  }
  return pairs;
}

function rangeStart(node: unknown): number | undefined {
  if (node && typeof node === 'object' && 'range' in node) {
    const range = (node as { range?: [number, number, number] | null }).range;
    return range ? range[0] : undefined;
  }
  return undefined;
}
