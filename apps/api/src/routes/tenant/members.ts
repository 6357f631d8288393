import {
  AcceptAccountLinkBodySchema,
  AcceptAccountLinkReplySchema,
  ErrorReplySchema,
  UuidParamsSchema,
  ChangeMemberRoleBodySchema,
  InviteMemberBodySchema,
  InviteMemberReplySchema,
  ListMembersReplySchema,
  MemberSchema,
} from '@paddock/contracts';
import { changeMemberRole, inviteMember, listMembers, redeemAccountLink, removeMember } from '@paddock/services';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiDeps } from '../../deps';
import { DEFAULT_FRONT_DOOR_SETTINGS } from '../../http/front-door';
import { PasswordWorkGate } from '../../http/password-work';
import { createRateLimiter, limitPerClient } from '../../http/rate-limit';
import { DEFAULT_TENANT_SESSION_SETTINGS, requestFacts, requireTenant, tenantOf } from '../../http/tenant-auth';

/**
 * A workspace's members: everyone reads the list; the owner and admins invite (a single-use token, 7 days), change
 * roles and remove (services/members/manage-members.ts). The invitee redeems the token at `POST /v1/members/accept`
 * with a password, then logs in with `POST /v1/sessions`.
 */
export function registerTenantMemberRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const onRequest = requireTenant(deps.prisma);
  const tags = ['members'];
  const security = [{ bearer: [] }];
  const errors = { 400: ErrorReplySchema, 401: ErrorReplySchema, 403: ErrorReplySchema, 404: ErrorReplySchema };
  const settings = deps.tenantSessions ?? DEFAULT_TENANT_SESSION_SETTINGS;
  const passwordWork = deps.passwordWork ?? new PasswordWorkGate(DEFAULT_FRONT_DOOR_SETTINGS.passwordWork);
  const perAddress = createRateLimiter(
    deps.redis,
    `${deps.redisPrefix}:ratelimit:member-accept-address`,
    settings.loginPerAddress,
  );

  api.get(
    '/v1/members',
    {
      onRequest,
      schema: {
        summary: "The workspace's members",
        tags,
        security,
        response: { 200: ListMembersReplySchema, 401: ErrorReplySchema },
      },
    },
    async (request) => ({ members: await listMembers({ prisma: deps.prisma }, tenantOf(request)) }),
  );

  api.post(
    '/v1/members',
    {
      onRequest,
      schema: {
        summary: 'Invite a member (owner or admin): answers a single-use invite token, valid 7 days',
        tags,
        security,
        body: InviteMemberBodySchema,
        response: { 201: InviteMemberReplySchema, ...errors, 409: ErrorReplySchema },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(await inviteMember({ prisma: deps.prisma }, tenantOf(request), request.body, requestFacts(request))),
  );

  api.put(
    '/v1/members/:id/role',
    {
      onRequest,
      schema: {
        summary: "Change a member's role (owner or admin; only the owner grants admin)",
        tags,
        security,
        params: UuidParamsSchema,
        body: ChangeMemberRoleBodySchema,
        response: { 200: MemberSchema, ...errors, 409: ErrorReplySchema },
      },
    },
    async (request) =>
      changeMemberRole(
        { prisma: deps.prisma },
        tenantOf(request),
        request.params.id,
        request.body.role,
        requestFacts(request),
      ),
  );

  api.delete(
    '/v1/members/:id',
    {
      onRequest,
      schema: {
        summary: 'Remove a member (owner or admin): their account and sessions end at once',
        tags,
        security,
        params: UuidParamsSchema,
        response: { 204: z.null(), ...errors, 409: ErrorReplySchema },
      },
    },
    async (request, reply) => {
      await removeMember({ prisma: deps.prisma }, tenantOf(request), request.params.id, requestFacts(request));
      return reply.status(204).send(null);
    },
  );

  api.post(
    '/v1/members/accept',
    {
      onRequest: limitPerClient(perAddress, 'attempts'),
      schema: {
        summary: 'Redeem a member invite: sets the password (then log in with POST /v1/sessions)',
        tags,
        body: AcceptAccountLinkBodySchema,
        response: { 200: AcceptAccountLinkReplySchema, 400: ErrorReplySchema, 404: ErrorReplySchema },
      },
    },
    async (request, reply) =>
      passwordWork.run(reply, () =>
        redeemAccountLink({ prisma: deps.prisma }, { ...request.body, audience: 'member' }, requestFacts(request)),
      ),
  );
}
