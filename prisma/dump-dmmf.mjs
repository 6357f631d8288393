#!/usr/bin/env node
// A Prisma generator that writes the schema's DMMF (Prisma's own parsed model: fields, native types, nullability,
// uniques, indexes, relations) to `<output>/dmmf.json`. The drift test compares it with the migrated database;
// getting it from `prisma generate` avoids reimplementing Prisma's schema parser or loading its wasm by hand.
// Protocol: JSON-RPC requests on stdin, one per line; responses on stderr (stdout belongs to Prisma's logs).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

function respond(message) {
  process.stderr.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
}

createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
  const request = JSON.parse(line);
  if (request.method === 'getManifest') {
    respond({ id: request.id, result: { manifest: { prettyName: 'DMMF dump', requiresGenerators: [] } } });
    return;
  }
  if (request.method === 'generate') {
    try {
      const output = request.params.generator.output?.value;
      if (!output) throw new Error('the dmmf generator needs an `output` directory');
      mkdirSync(output, { recursive: true });
      writeFileSync(join(output, 'dmmf.json'), `${JSON.stringify(request.params.dmmf.datamodel, null, 1)}\n`);
      respond({ id: request.id, result: null });
    } catch (error) {
      respond({ id: request.id, error: { code: -32000, message: String(error?.stack ?? error), data: null } });
    }
  }
});
