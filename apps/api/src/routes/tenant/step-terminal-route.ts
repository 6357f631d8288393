import {
  ErrorReplySchema,
  StepOutputParamsSchema,
  StepTerminalQuerySchema,
  TerminalEndEventSchema,
  TerminalOutputEventSchema,
  TerminalStartEventSchema,
} from '@paddock/contracts';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiDeps } from '../../deps';
import { requireTenant, tenantOf } from '../../http/tenant-auth';
import { terminalStreamRoute } from './step-terminal-stream';

const errors = {
  400: ErrorReplySchema,
  401: ErrorReplySchema,
  403: ErrorReplySchema,
  404: ErrorReplySchema,
  409: ErrorReplySchema,
  422: ErrorReplySchema,
  429: ErrorReplySchema,
  503: ErrorReplySchema,
};

const events = [
  ['start', TerminalStartEventSchema],
  ['output', TerminalOutputEventSchema],
  ['end', TerminalEndEventSchema],
] as const;

/** `GET /v1/runs/:id/steps/:step/terminal`: a step's terminal, replayed and followed, as Server-Sent Events. */
export function registerStepTerminalRoute(app: FastifyInstance, deps: ApiDeps): void {
  const stream = terminalStreamRoute(deps);
  // Before the server waits for requests in flight: open terminal streams end with `end: stopped`.
  app.addHook('preClose', (done) => {
    stream.shutdown();
    done();
  });
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/runs/:id/steps/:step/terminal',
    {
      onRequest: requireTenant(deps.prisma),
      schema: {
        tags: ['runs'],
        security: [{ bearer: [] }],
        summary: "A step's terminal: replayed from its log, then followed live while the attempt runs (SSE)",
        description:
          'Read-only. `text/event-stream` of: `start` (attempt, log size, where the replay starts: a log longer ' +
          'than the replay allowance is replayed from its tail, `skippedBytes` says how much was left out), ' +
          '`output` events (`data`: the bytes exactly as the program wrote them, escape sequences included, base64, ' +
          'at `offset` in the log; feed them to a terminal emulator such as xterm.js), and one `end` when the ' +
          'attempt is over (`reason: ended`, every byte sent) or the stream stops early (`limit`, `timeout`, ' +
          '`box_lost`, `failed`, `protocol`). `attempt` picks an earlier attempt (default: the current one). A run ' +
          'or step of another workspace is a 404; a workspace holding its maximum of open terminal streams gets ' +
          '429 `too_many_streams`.\n\nEvent payloads:\n' +
          events.map(([name, schema]) => `- \`${name}\`: ${JSON.stringify(z.toJSONSchema(schema))}`).join('\n'),
        params: StepOutputParamsSchema,
        querystring: StepTerminalQuerySchema,
        produces: ['text/event-stream'],
        response: { 200: z.string().describe('text/event-stream'), ...errors },
      },
    },
    async (request, reply) => {
      await stream.route(request, reply, {
        tenantId: tenantOf(request).tenantId,
        runId: request.params.id,
        step: request.params.step,
        ...(request.query.attempt ? { attempt: request.query.attempt } : {}),
      });
    },
  );
}
