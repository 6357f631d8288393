import { createHash } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import {
  AppError,
  type ChainDefinition,
  type ChainError,
  formatChainError,
  isDecisionStep,
  parseChainDefinition,
} from '@paddock/contracts';

export interface LoadedChain {
  chain: ChainDefinition;
  text: string;
  file: string;
  /** Files the chain references (prompts, file inputs), relative to the chain's directory, with their content. */
  files: Map<string, Buffer>;
  /** sha256 over the definition and every referenced file: the chain version recorded in each run. */
  version: string;
}

export class ChainInvalidError extends AppError {
  readonly errors: ChainError[];
  constructor(errors: ChainError[]) {
    super('validation_failed', errors.map(formatChainError).join('\n'), {
      details: errors.map((e) => ({ ...e, path: e.field })),
    });
    this.errors = errors;
  }
}

export function referencedFiles(chain: ChainDefinition): string[] {
  const files = new Set<string>();
  for (const step of Object.values(chain.agents)) {
    if (isDecisionStep(step)) continue;
    if (step.prompt) files.add(step.prompt);
    const inputs = step.input === undefined ? [] : Array.isArray(step.input) ? step.input : [step.input];
    for (const input of inputs) if (typeof input === 'object' && 'file' in input) files.add(input.file);
  }
  return [...files].sort();
}

export function chainVersion(text: string, files: ReadonlyMap<string, Buffer>): string {
  const hash = createHash('sha256').update('chain\0').update(text);
  for (const [path, content] of [...files.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    hash.update(`\0file\0${path}\0`).update(createHash('sha256').update(content).digest('hex'));
  }
  return `sha256:${hash.digest('hex')}`;
}

/**
 * Reads, validates and versions a chain file with every prompt it references. A referenced file must exist and stay
 * inside the chain's directory even through symlinks; a problem is reported like a validation error (file, line...).
 */
export function loadChainFile(path: string): LoadedChain {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new AppError(code === 'ENOENT' ? 'not_found' : 'bad_request', `cannot read chain file ${path}: ${code}`);
  }
  return loadChainText(text, file, path);
}

export function loadChainText(text: string, file: string, displayName = file): LoadedChain {
  const parsed = parseChainDefinition(text, displayName);
  if (!parsed.ok) throw new ChainInvalidError(parsed.errors);
  const baseDir = dirname(file);
  const files = new Map<string, Buffer>();
  const problems: ChainError[] = [];
  for (const rel of referencedFiles(parsed.chain)) {
    try {
      const real = realpathSync(join(baseDir, rel));
      const inside = relative(realpathSync(baseDir), real);
      if (inside.startsWith('..') || resolve(inside) === inside) throw new Error('outside');
      files.set(rel, readFileSync(real));
    } catch (error) {
      const outside = (error as Error).message === 'outside';
      const message = outside ? 'resolves outside the chain directory' : 'file not found next to the chain';
      problems.push({ file: displayName, line: 1, column: 1, field: `file ${rel}`, message });
    }
  }
  if (problems.length > 0) throw new ChainInvalidError(problems);
  return { chain: parsed.chain, text, file, files, version: chainVersion(text, files) };
}
