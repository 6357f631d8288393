import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { type BoxCaps, BoxCapsSchema } from '@paddock/contracts';
import { rootLayout } from './paths';

/**
 * The caps file (`<root>/caps.json`): what the control plane last told the box it may start (contracts' box-caps.ts).
 * Written whole and renamed into place, so a reader never sees half of it.
 */
export function writeBoxCaps(root: string, caps: BoxCaps): void {
  const { root: dir, capsFile } = rootLayout(root);
  const parsed = BoxCapsSchema.parse(caps);
  // Caps may come before the first run made the root (a fresh box the collector reaches first).
  mkdirSync(dir, { recursive: true });
  const temp = `${capsFile}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(parsed, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, capsFile);
}

export type CapsRead = { ok: true; caps: BoxCaps | undefined } | { ok: false; error: string };

/**
 * Reads the caps file, cached by mtime and size (asked at every new run). No file is no caps (a box the control plane
 * never sent any, or a runtime used on its own); a malformed one is reported, and the daemon then admits nothing.
 */
export class BoxCapsReader {
  private cache: { key: string; read: CapsRead } | undefined;

  constructor(private readonly root: string) {}

  read(): CapsRead {
    const { capsFile } = rootLayout(this.root);
    const info = statSync(capsFile, { throwIfNoEntry: false });
    if (!info) return { ok: true, caps: undefined };
    const key = `${info.mtimeMs}:${info.size}:${info.ino}`;
    if (this.cache?.key === key) return this.cache.read;
    let read: CapsRead;
    try {
      const parsed = BoxCapsSchema.safeParse(JSON.parse(readFileSync(capsFile, 'utf8')));
      read = parsed.success
        ? { ok: true, caps: parsed.data }
        : { ok: false, error: parsed.error.issues[0]?.message ?? 'invalid' };
    } catch (error) {
      read = { ok: false, error: (error as Error).message };
    }
    this.cache = { key, read };
    return read;
  }
}
