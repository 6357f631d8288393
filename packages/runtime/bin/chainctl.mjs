#!/usr/bin/env node
// `chainctl` in a checkout (`npx chainctl`, package.json bin). Node refuses to run the TypeScript entry itself (Node 20
// knows no `.ts`; Node 22.6+ strips types but not for files reached through node_modules, which is where npm's bin
// link points), so this plain-JS shim registers tsx's loader in-process and imports the real entry. Boxes never run
// this: a release bundles src/cli.ts with esbuild (packages/fleet release build) and ships its own bin/chainctl.
let register;
try {
  ({ register } = await import('tsx/esm/api'));
} catch {
  process.stderr.write(
    'chainctl: running from a checkout needs tsx (a dev dependency of this repository): run `npm install`, ' +
      'or use a built release (bin/chainctl)\n',
  );
  process.exit(69);
}
register();
await import(new URL('../src/cli.ts', import.meta.url).href);
