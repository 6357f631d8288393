import { AppError } from '@paddock/contracts';
import { authenticateTenantApiKey } from './authenticate-api-key';
import { authenticateTenantSession } from './authenticate-tenant-session';
import type { TenantIdentity } from './tenant-identity';
import type { ServiceClients } from '../clients';

/**
 * The tenant behind a bearer credential: a workspace API key (`pdk_...`) or a user session token (`pds_...`), told
 * apart by their prefix. Anything else is refused without touching the database.
 */
export function authenticateTenant({ prisma }: Pick<ServiceClients, 'prisma'>, token: string): Promise<TenantIdentity> {
  if (token.startsWith('pdk_')) return authenticateTenantApiKey({ prisma }, token);
  if (token.startsWith('pds_')) return authenticateTenantSession({ prisma }, token);
  return Promise.reject(
    new AppError('unauthenticated', 'The credential is not a workspace API key (pdk_...) or session token (pds_...).'),
  );
}
