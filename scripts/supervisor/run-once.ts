import { spawn } from 'node:child_process';

/** Runs a set-up step (migrations, seed) to its end; rejects unless it exits 0. Its output goes to the terminal. */
export function runOnce(name: string, command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'], env });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${name} failed (${signal ? `signal ${signal}` : `exit code ${code}`})`));
    });
  });
}
