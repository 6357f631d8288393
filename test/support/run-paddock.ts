import { spawn } from 'node:child_process';
import { join } from 'node:path';

const repoRoot = join(import.meta.dirname, '../..');

export interface PaddockResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `npx paddock ARGS` from the checkout, as an operator would, with its own config directory. */
export function runPaddock(
  args: readonly string[],
  options: { configHome: string; stdin?: string; env?: Record<string, string> },
): Promise<PaddockResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['--no-install', 'paddock', ...args], {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: options.configHome,
        XDG_CONFIG_HOME: options.configHome,
        ...options.env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}
