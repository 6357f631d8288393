import {
  AcceptAccountLinkBodySchema,
  AcceptAccountLinkReplySchema,
  ChangeOperatorRoleBodySchema,
  ErrorReplySchema,
  InviteOperatorBodySchema,
  InviteOperatorReplySchema,
  ListOperatorsReplySchema,
  OperatorAccountSchema,
  ResetOperatorReplySchema,
  UuidParamsSchema,
} from '@paddock/contracts';
import {
  changeOperatorRole,
  disableOperator,
  enableOperator,
  inviteOperator,
  listOperators,
  redeemAccountLink,
  resetOperatorPassword,
} from '@paddock/services';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ApiDeps } from '../../deps';
import { operatorOf, requireOperator } from '../../http/authenticate';
import { DEFAULT_FRONT_DOOR_SETTINGS } from '../../http/front-door';
import { PasswordWorkGate } from '../../http/password-work';
import { createRateLimiter, limitPerClient } from '../../http/rate-limit';
import { requestFacts } from '../../http/tenant-auth';

/**
 * Operator accounts: every operator may list them; only owners invite, disable, enable, change roles and reset
 * passwords (services/operators/manage-operators.ts). An invite or reset answers a single-use token once; the
 * person redeems it at `POST /v1/operator/accounts/accept` with their new password, then logs in.
 */
export function registerOperatorAccountRoutes(
  app: FastifyInstance,
  deps: Pick<ApiDeps, 'prisma' | 'redis' | 'redisPrefix' | 'frontDoor' | 'passwordWork'>,
): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const owner = requireOperator(deps.prisma, { role: 'owner' });
  const security = [{ bearer: [] }];
  const errors = { 400: ErrorReplySchema, 401: ErrorReplySchema, 403: ErrorReplySchema, 404: ErrorReplySchema };
  const settings = deps.frontDoor ?? DEFAULT_FRONT_DOOR_SETTINGS;
  const passwordWork = deps.passwordWork ?? new PasswordWorkGate(settings.passwordWork);
  const perAddress = createRateLimiter(
    deps.redis,
    `${deps.redisPrefix}:ratelimit:account-accept-address`,
    settings.operatorLoginPerAddress,
  );

  api.get(
    '/v1/operator/accounts',
    {
      onRequest: requireOperator(deps.prisma),
      schema: {
        summary: 'List operator accounts (every role may read)',
        tags: ['operator'],
        security,
        response: { 200: ListOperatorsReplySchema, 401: ErrorReplySchema },
      },
    },
    async () => ({ operators: await listOperators({ prisma: deps.prisma }) }),
  );

  api.post(
    '/v1/operator/accounts',
    {
      onRequest: owner,
      schema: {
        summary: 'Invite an operator (owner only): answers a single-use invite token, valid 7 days',
        tags: ['operator'],
        security,
        body: InviteOperatorBodySchema,
        response: { 201: InviteOperatorReplySchema, ...errors, 409: ErrorReplySchema },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(await inviteOperator({ prisma: deps.prisma }, operatorOf(request), request.body, requestFacts(request))),
  );

  const toggles = [
    ['disable', 'Disable an operator (owner only): their sessions end at once', disableOperator],
    ['enable', 'Enable a disabled operator again (owner only)', enableOperator],
  ] as const;
  for (const [verb, summary, run] of toggles) {
    api.post(
      `/v1/operator/accounts/:id/${verb}`,
      {
        onRequest: owner,
        schema: {
          summary,
          tags: ['operator'],
          security,
          params: UuidParamsSchema,
          response: { 200: OperatorAccountSchema, ...errors, 409: ErrorReplySchema },
        },
      },
      async (request) => run({ prisma: deps.prisma }, operatorOf(request), request.params.id, requestFacts(request)),
    );
  }

  api.put(
    '/v1/operator/accounts/:id/role',
    {
      onRequest: owner,
      schema: {
        summary: "Change an operator's role (owner only; the last enabled owner stays owner)",
        tags: ['operator'],
        security,
        params: UuidParamsSchema,
        body: ChangeOperatorRoleBodySchema,
        response: { 200: OperatorAccountSchema, ...errors, 409: ErrorReplySchema },
      },
    },
    async (request) =>
      changeOperatorRole(
        { prisma: deps.prisma },
        operatorOf(request),
        request.params.id,
        request.body.role,
        requestFacts(request),
      ),
  );

  api.post(
    '/v1/operator/accounts/:id/reset-password',
    {
      onRequest: owner,
      schema: {
        summary: "Reset an operator's password (owner only): the old one and every session stop working",
        tags: ['operator'],
        security,
        params: UuidParamsSchema,
        response: { 200: ResetOperatorReplySchema, ...errors, 409: ErrorReplySchema },
      },
    },
    async (request) =>
      resetOperatorPassword({ prisma: deps.prisma }, operatorOf(request), request.params.id, requestFacts(request)),
  );

  api.post(
    '/v1/operator/accounts/accept',
    {
      onRequest: limitPerClient(perAddress, 'attempts'),
      schema: {
        summary: 'Redeem an operator invite or reset token: sets the password (then log in)',
        tags: ['operator'],
        body: AcceptAccountLinkBodySchema,
        response: { 200: AcceptAccountLinkReplySchema, 400: ErrorReplySchema, 404: ErrorReplySchema },
      },
    },
    async (request, reply) =>
      passwordWork.run(reply, () =>
        redeemAccountLink({ prisma: deps.prisma }, { ...request.body, audience: 'operator' }, requestFacts(request)),
      ),
  );
}
