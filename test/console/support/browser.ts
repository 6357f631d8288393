import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

const REPO = join(import.meta.dirname, '../../..');
// Written on every run where git ignores them; docs/screenshots holds the copies the README shows, rewritten only
// when PADDOCK_SCREENSHOTS=1 (`PADDOCK_SCREENSHOTS=1 npx vitest run test/console`), so CI never dirties the checkout.
export const SCREENSHOTS = join(REPO, '.data/console-screenshots');
const DOCS_SCREENSHOTS = join(REPO, 'docs/screenshots');
const WRITE_DOCS = process.env.PADDOCK_SCREENSHOTS === '1';

export interface ConsoleBrowser {
  browser: Browser;
  /** A fresh context (its own cookies) and page on the console; every console error and page error is collected. */
  open(baseUrl: string): Promise<{ context: BrowserContext; page: Page; errors: string[] }>;
  close(): Promise<void>;
}

/**
 * Debian's Chromium (installed by scripts/ensure-chromium.sh when missing) driven by playwright-core, with the console
 * built first (scripts/build-console.sh: a no-op when the build is up to date).
 */
export async function launchConsoleBrowser(): Promise<ConsoleBrowser> {
  const executablePath = execFileSync('bash', [join(REPO, 'scripts/ensure-chromium.sh')], { encoding: 'utf8' }).trim();
  execFileSync('bash', [join(REPO, 'scripts/build-console.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
  // As root Chromium refuses its sandbox; these tests load only the console from a loopback API.
  const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
  const contexts: BrowserContext[] = [];
  return {
    browser,
    async open(baseUrl) {
      const context = await browser.newContext({ baseURL: baseUrl, viewport: { width: 1200, height: 800 } });
      contexts.push(context);
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(`console: ${message.text()} (${message.location().url})`);
      });
      page.on('pageerror', (error) => errors.push(`page: ${error.message}`));
      return { context, page, errors };
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => undefined);
      await browser.close();
    },
  };
}

/**
 * Saves a screenshot of the page (.data/console-screenshots/<name>.png), and into docs/screenshots/ when
 * PADDOCK_SCREENSHOTS=1. `fullPage` for pages whose point is below the fold (the tenant page's sections).
 */
export async function screenshot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: options.fullPage ?? false });
  if (WRITE_DOCS) {
    mkdirSync(DOCS_SCREENSHOTS, { recursive: true });
    copyFileSync(path, join(DOCS_SCREENSHOTS, `${name}.png`));
  }
}
