import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const CONTROL_PLANE_INFRA = join(REPO_ROOT, 'infra/control-plane');
export const UNIT_DIR = join(CONTROL_PLANE_INFRA, 'systemd');
/** Where the production guide installs the checkout; the units' WorkingDirectory. */
export const INSTALL_DIR = '/opt/paddock-control';

/** A unit file as systemd reads it: section -> key -> every value given (a key may repeat). */
export type UnitFile = Map<string, Map<string, string[]>>;

export function parseUnit(text: string): UnitFile {
  const unit: UnitFile = new Map();
  let section: Map<string, string[]> | undefined;
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(trimmed);
    if (header) {
      section = new Map();
      unit.set(header[1] ?? '', section);
      continue;
    }
    const at = trimmed.indexOf('=');
    if (!section || at < 0) throw new Error(`not a unit line: ${line}`);
    const key = trimmed.slice(0, at).trim();
    section.set(key, [...(section.get(key) ?? []), trimmed.slice(at + 1).trim()]);
  }
  return unit;
}

export function unitNames(): string[] {
  return readdirSync(UNIT_DIR).filter((name) => name.endsWith('.service'));
}

export function readUnit(name: string): UnitFile {
  return parseUnit(readFileSync(join(UNIT_DIR, name), 'utf8'));
}

/** The last value of a key (what systemd uses for single-valued settings). */
export function setting(unit: UnitFile, section: string, key: string): string | undefined {
  return unit.get(section)?.get(key)?.at(-1);
}

/** ExecStart split into argv (the units use no quoting or specifiers in it). */
export function execStart(unit: UnitFile): string[] {
  const line = setting(unit, 'Service', 'ExecStart');
  if (!line) throw new Error('unit has no ExecStart');
  return line.split(/\s+/);
}

/** `KEY=value` and commented-out `#KEY=value` lines of an env file template: every variable it documents. */
export function templateKeys(text: string): { set: Map<string, string>; documented: string[] } {
  const set = new Map<string, string>();
  const documented: string[] = [];
  for (const line of text.split('\n')) {
    const match = /^(#?)([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!match) continue;
    documented.push(match[2] ?? '');
    if (match[1] === '') set.set(match[2] ?? '', match[3] ?? '');
  }
  return { set, documented };
}
