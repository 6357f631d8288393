import { hashPassword } from '@paddock/vault';
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../../../apps/api/src/deps';
import { registerOperatorSessionRoutes } from '../../../apps/api/src/routes/operator/sessions';
import { registerOperatorWorkflowRoutes } from '../../../apps/api/src/routes/operator/workflows';
import { buildServer } from '../../../apps/api/src/server';

export interface OperatorApi {
  app: FastifyInstance;
  headers: { authorization: string };
}

/** The API's operator session and workflow routes on the lifecycle test's database, logged in as an operator. */
export async function startOperatorApi(
  deps: Pick<ApiDeps, 'prisma' | 'queues' | 'redis' | 'redisPrefix'>,
): Promise<OperatorApi> {
  const app = await buildServer({
    logLevel: 'silent',
    bodyLimitBytes: 16_384,
    readiness: {},
    routes: (server) => {
      registerOperatorSessionRoutes(server, deps);
      registerOperatorWorkflowRoutes(server, deps);
    },
  });
  const password = 'correct horse battery staple';
  await deps.prisma.user.create({
    data: {
      email: 'ops@example.com',
      role: 'operator',
      operatorRole: 'owner',
      passwordHash: await hashPassword(password),
    },
  });
  const login = await app.inject({
    method: 'POST',
    url: '/v1/operator/sessions',
    payload: { email: 'ops@example.com', password },
  });
  if (login.statusCode !== 201) throw new Error(`operator login failed: ${login.statusCode} ${login.body}`);
  return { app, headers: { authorization: `Bearer ${(login.json() as { token: string }).token}` } };
}
