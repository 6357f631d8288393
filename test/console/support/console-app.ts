import { join } from 'node:path';
import { startTestApp, type TestApp, type TestAppOptions } from '../../../apps/api/src/test-app';

const CONSOLE_DIR = join(import.meta.dirname, '../../../apps/console/dist');

/**
 * The API in this process, serving the console's build under /console and listening on a loopback port for the
 * browser, on its own fresh database: for browser tests of pages that need no worker or box (a process of its own
 * compiles the whole app first, seconds these tests do not need). Build the console before (launchConsoleBrowser):
 * the API looks for the build once, at start.
 */
export async function startConsoleApp(options: TestAppOptions = {}): Promise<{ t: TestApp; url: string }> {
  const t = await startTestApp({ ...options, consoleDir: CONSOLE_DIR });
  const url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  return { t, url };
}
