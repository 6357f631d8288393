import { AppError } from '@paddock/contracts';

/** Flags every command understands; `multi` ones may repeat (`--input a=1 --input b=2`). */
export interface ParsedArgs {
  positionals: string[];
  flags: Map<string, string[]>;
}

const BOOLEAN_FLAGS = new Set(['json', 'wait', 'detach', 'interactive', 'stdio', 'follow', 'help', 'force']);

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const positionals: string[] = [];
  const flags = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg === '--') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else if (BOOLEAN_FLAGS.has(name)) value = 'true';
    else {
      const next = argv[i + 1];
      if (next === undefined) throw new AppError('bad_request', `--${name} needs a value`);
      value = next;
      i++;
    }
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  return { positionals, flags };
}

export function flag(args: ParsedArgs, name: string): string | undefined {
  return args.flags.get(name)?.at(-1);
}

export function boolFlag(args: ParsedArgs, name: string): boolean {
  const value = flag(args, name);
  return value !== undefined && value !== 'false' && value !== '0';
}

export function intFlag(args: ParsedArgs, name: string, fallback: number, min = 0): number {
  const value = flag(args, name);
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new AppError('bad_request', `--${name} must be an integer >= ${min}`);
  return n;
}

export function requirePositional(args: ParsedArgs, index: number, what: string): string {
  const value = args.positionals[index];
  if (value === undefined) throw new AppError('bad_request', `missing ${what}`);
  return value;
}

export function assertKnownFlags(args: ParsedArgs, known: readonly string[]): void {
  const allowed = new Set([...known, 'json', 'root', 'help']);
  for (const name of args.flags.keys()) {
    if (!allowed.has(name)) throw new AppError('bad_request', `unknown flag --${name}`);
  }
}
