#!/usr/bin/env node
// `paddock`, the operator CLI. The checkout has no build step: this shim loads tsx's ESM loader in-process and runs
// the TypeScript entry point, so `npx paddock` works from the checkout on any supported Node (20.19+).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2));
