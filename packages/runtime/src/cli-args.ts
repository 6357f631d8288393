import { type ParseArgsConfig, parseArgs as parseArgv } from 'node:util';
import { AppError } from '@paddock/contracts';

/**
 * Every flag chainctl knows, with its type, parsed by Node's `util.parseArgs`. One table for all commands: a flag
 * means the same thing (and takes a value or not) wherever it appears; which command accepts which is checked by the
 * command (assertKnownFlags), so `chainctl status X --wait` names the flag it does not take.
 */
const OPTIONS = {
  // every command
  json: { type: 'boolean' },
  root: { type: 'string' },
  help: { type: 'boolean' },
  // run
  input: { type: 'string', multiple: true },
  id: { type: 'string' },
  wait: { type: 'boolean' },
  // events
  run: { type: 'string' },
  since: { type: 'string' },
  limit: { type: 'string' },
  // decide, replay
  by: { type: 'string' },
  note: { type: 'string' },
  from: { type: 'string' },
  // attach, serve
  interactive: { type: 'boolean' },
  stdio: { type: 'boolean' },
  // daemon
  detach: { type: 'boolean' },
  'max-parallel': { type: 'string' },
  'drain-timeout': { type: 'string' },
  'rescan-ms': { type: 'string' },
  timeout: { type: 'string' },
  barrier: { type: 'string' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

type FlagName = keyof typeof OPTIONS;
type ValueFlag = { [K in FlagName]: (typeof OPTIONS)[K]['type'] extends 'string' ? K : never }[FlagName];
type BoolFlag = { [K in FlagName]: (typeof OPTIONS)[K]['type'] extends 'boolean' ? K : never }[FlagName];

export interface ParsedArgs {
  positionals: string[];
  values: ReturnType<typeof parse>['values'];
}

function parse(argv: readonly string[]) {
  return parseArgv({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: true });
}

/** Parses a command line; a flag chainctl does not know, or one missing its value, is a bad_request naming it. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  try {
    const { positionals, values } = parse(argv);
    return { positionals, values };
  } catch (error) {
    throw cliError(error);
  }
}

/** Node's parse errors, said the way chainctl says them: short, naming the flag, no hint about `--`. */
function cliError(error: unknown): unknown {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  const named = /'(--?[^' ]+)/.exec(message)?.[1];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return new AppError('bad_request', `unknown flag ${named ?? message}`);
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/does not take an argument/.test(message)) return new AppError('bad_request', `${named} takes no value`);
      if (/ambiguous/.test(message)) {
        return new AppError('bad_request', `${named} needs a value (one starting with '-' is written ${named}=VALUE)`);
      }
      return new AppError('bad_request', `${named} needs a value`);
    default:
      return code?.startsWith('ERR_PARSE_ARGS') ? new AppError('bad_request', message) : error;
  }
}

/** The value of a flag that takes one (the last, when given more than once). */
export function flag(args: ParsedArgs, name: Exclude<ValueFlag, 'input'>): string | undefined {
  return args.values[name];
}

/** Every value of a flag that may repeat (`--input a=1 --input b=2`), in order. */
export function flags(args: ParsedArgs, name: 'input'): string[] {
  return args.values[name] ?? [];
}

export function boolFlag(args: ParsedArgs, name: BoolFlag): boolean {
  return args.values[name] === true;
}

export function intFlag(args: ParsedArgs, name: Exclude<ValueFlag, 'input'>, fallback: number, min = 0): number {
  const value = flag(args, name);
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min) {
    throw new AppError('bad_request', `--${name} must be an integer >= ${min}`);
  }
  return n;
}

export function requirePositional(args: ParsedArgs, index: number, what: string): string {
  const value = args.positionals[index];
  if (value === undefined) throw new AppError('bad_request', `missing ${what}`);
  return value;
}

/** Refuses flags chainctl knows but this command does not take (besides --json, --root and --help). */
export function assertKnownFlags(args: ParsedArgs, known: readonly FlagName[]): void {
  const allowed = new Set<string>([...known, 'json', 'root', 'help']);
  for (const name of Object.keys(args.values)) {
    if (!allowed.has(name)) throw new AppError('bad_request', `unknown flag --${name} for this command`);
  }
}
