import { randomUUID } from 'node:crypto';
import type { PlanLimitsInput } from '@paddock/contracts';
import { seedPlans } from '@paddock/db';
import type { SshKeyPair } from '@paddock/fleet';
import { sshKeyVaultContext } from '@paddock/services';
import type { FastifyInstance } from 'fastify';
import { startTestApp, type TestApp, type TestAppOptions } from '../../apps/api/src/test-app';

export interface SignedUp {
  tenantId: string;
  apiKey: string;
  userId: string;
  workflowId: string;
  headers: { authorization: string };
}

/** A test app whose database has the default plans, as after `npm start`. */
export async function startTenantTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const t = await startTestApp(options);
  await seedPlans(t.prisma);
  return t;
}

export function signupRequest(body: Record<string, unknown>, idempotencyKey: string = randomUUID()) {
  return {
    method: 'POST' as const,
    url: '/v1/signup',
    headers: { 'idempotency-key': idempotencyKey },
    payload: body,
  };
}

let counter = 0;

/** Signs a fresh workspace up through the API and returns what its API calls need. */
export async function signUp(app: FastifyInstance, label = 'ws'): Promise<SignedUp> {
  const { email: _email, ...signedUp } = await signUpAs(app, label, {});
  return signedUp;
}

async function signUpAs(
  app: FastifyInstance,
  label: string,
  extra: { password?: string },
): Promise<SignedUp & { email: string }> {
  counter += 1;
  const unique = `${label}-${counter}-${randomUUID().slice(0, 8)}`;
  const email = `${unique}@example.com`;
  const reply = await app.inject(
    signupRequest({ email, workspaceName: `Workspace ${unique}`, plan: 'starter', ...extra }),
  );
  if (reply.statusCode !== 202) throw new Error(`signup failed: ${reply.statusCode} ${reply.body}`);
  const body = reply.json() as {
    tenant: { id: string };
    user: { id: string };
    apiKey: { key: string };
    workflowId: string;
  };
  return {
    tenantId: body.tenant.id,
    apiKey: body.apiKey.key,
    userId: body.user.id,
    workflowId: body.workflowId,
    headers: { authorization: `Bearer ${body.apiKey.key}` },
    email,
  };
}

/** Moves a tenant to a plan of its own with the given limits (plans are shared rows; tests must not edit seeded ones). */
export async function limitTenant(
  prisma: import('@paddock/db').PrismaClient,
  tenantId: string,
  limits: PlanLimitsInput,
): Promise<void> {
  const plan = await prisma.plan.create({
    data: {
      code: `tiny-${randomUUID().slice(0, 8)}`,
      name: 'Tiny',
      priceMinor: 0,
      provider: 'local',
      limits,
    },
  });
  await prisma.tenant.update({ where: { id: tenantId }, data: { planId: plan.id } });
}

export interface SignedUpUser extends SignedUp {
  email: string;
  password: string;
}

/** Signs a fresh workspace up with an owner password (for logging in with POST /v1/sessions). */
export async function signUpWithPassword(
  app: FastifyInstance,
  label = 'user',
  password = `correct horse ${randomUUID().slice(0, 8)}`,
): Promise<SignedUpUser> {
  return { ...(await signUpAs(app, label, { password })), password };
}

/** Logs a tenant user in and returns the headers that carry the session. */
export async function logIn(
  app: FastifyInstance,
  email: string,
  password: string,
): Promise<{ token: string; headers: { authorization: string } }> {
  const reply = await app.inject({ method: 'POST', url: '/v1/sessions', payload: { email, password } });
  if (reply.statusCode !== 201) throw new Error(`login failed: ${reply.statusCode} ${reply.body}`);
  const token = (reply.json() as { token: string }).token;
  return { token, headers: { authorization: `Bearer ${token}` } };
}

/**
 * A tenant's box row as provisioning leaves it for a test box: ready, its own login key (encrypted for its row) and
 * its pinned host key. Returns the box id.
 */
export async function registerTestBox(
  t: TestApp,
  tenantId: string,
  box: { host: string; port: number; hostKeyFingerprint: string },
  login: SshKeyPair,
): Promise<string> {
  const keyId = randomUUID();
  await t.prisma.sshKey.create({
    data: {
      id: keyId,
      tenantId,
      name: 'test box key',
      publicKey: login.publicKey,
      fingerprint: `${login.fingerprint}-${keyId}`,
      privateKeyEncrypted: t.vault.encrypt(login.privateKey, sshKeyVaultContext(keyId)),
    },
  });
  const row = await t.prisma.box.create({
    data: {
      tenantId,
      provider: 'local',
      status: 'ready',
      address: box.host,
      port: box.port,
      sshUser: 'root',
      sshKeyId: keyId,
      hostKeyFingerprint: box.hostKeyFingerprint,
    },
  });
  return row.id;
}
