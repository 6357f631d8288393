import { posix } from 'node:path';
import {
  AppError,
  type ChainDefinition,
  type ChainError,
  formatChainError,
  parseChainDefinition,
} from '@paddock/contracts';
import { chainVersion, referencedFiles } from '@paddock/runtime';
import { chainFileProblem, directoryConflict } from './chain-paths';

export interface ValidatedChain {
  chain: ChainDefinition;
  text: string;
  fileName: string;
  /** Referenced files by the path the chain uses for them (what the box will be given). */
  files: Map<string, string>;
  /** sha256 hex over the text and files, computed as `chainctl` does, so a run's version names this upload. */
  contentHash: string;
}

/**
 * Validates an uploaded chain as `chainctl validate` does a chain directory: the definition with located errors,
 * then the files it references, which must all be uploaded (and nothing else, so a mistyped path is caught here
 * rather than on the box).
 */
export function validateUploadedChain(input: {
  definition: string;
  fileName: string;
  files: Record<string, string>;
}): ValidatedChain {
  const parsed = parseChainDefinition(input.definition, input.fileName);
  if (!parsed.ok) throw chainInvalid(parsed.errors, 'body.definition');

  const uploaded = new Map<string, string>();
  const problems: Array<ChainError & { bodyPath: string }> = [];
  const at = (rel: string, message: string) => ({
    file: input.fileName,
    line: 1,
    column: 1,
    field: `file ${rel}`,
    message,
    bodyPath: `body.files.${rel}`,
  });
  for (const path of Object.keys(input.files)) {
    const key = normalize(path);
    if (uploaded.has(key)) problems.push(at(path, `names the same file as "${uploaded.get(key)}"`));
    else uploaded.set(key, path);
  }
  const files = new Map<string, string>();
  for (const rel of referencedFiles(parsed.chain)) {
    // The box gets the files next to the chain file: a path that cannot be written there is refused here.
    const unwritable = chainFileProblem(rel, input.fileName);
    if (unwritable) {
      problems.push(at(rel, unwritable));
      uploaded.delete(normalize(rel));
      continue;
    }
    const path = uploaded.get(normalize(rel));
    if (path === undefined) {
      problems.push(at(rel, 'is referenced by the chain but was not uploaded (add it to files)'));
      continue;
    }
    files.set(rel, input.files[path] as string);
    uploaded.delete(normalize(rel));
  }
  for (const path of uploaded.values()) problems.push(at(path, 'was uploaded but no step of the chain references it'));
  const asDirectory = directoryConflict([...[...files.keys()].map(normalize), input.fileName]);
  if (asDirectory) problems.push(at(asDirectory, 'is a file, but another path uses it as a directory'));
  if (problems.length > 0) throw chainInvalid(problems);

  const buffers = new Map([...files].map(([rel, text]) => [rel, Buffer.from(text, 'utf8')]));
  const contentHash = chainVersion(input.definition, buffers).replace(/^sha256:/, '');
  return { chain: parsed.chain, text: input.definition, fileName: input.fileName, files, contentHash };
}

function normalize(path: string): string {
  return posix.normalize(path);
}

function chainInvalid(errors: Array<ChainError & { bodyPath?: string }>, bodyPath = 'body.definition'): AppError {
  const located = errors.map(({ bodyPath: own, ...error }) => ({ ...error, path: own ?? bodyPath }));
  return new AppError('validation_failed', located.map(formatChainError).join('\n'), { details: located });
}
