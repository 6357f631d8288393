import { readFileSync, statSync } from 'node:fs';
import { parseEnvFile } from './prepare-step';
import { rootLayout } from './paths';

/** The box's secrets file, re-read only when its mtime changes (it is asked at every launch). */
export class SecretsFile {
  private cache: { mtimeMs: number; values: Record<string, string> } | undefined;

  constructor(private readonly root: string) {}

  values(): Record<string, string> {
    const { secretsFile } = rootLayout(this.root);
    // No exception (and its stack trace) when the box has no secrets file.
    const info = statSync(secretsFile, { throwIfNoEntry: false });
    if (!info) return {};
    if (this.cache?.mtimeMs !== info.mtimeMs) {
      this.cache = { mtimeMs: info.mtimeMs, values: parseEnvFile(readFileSync(secretsFile, 'utf8')) };
    }
    return this.cache.values;
  }
}
