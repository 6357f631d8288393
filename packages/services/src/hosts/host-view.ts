import type { Box } from '@paddock/db';

/** A bring-your-own host as operators see it (the API's HostSchema). */
export function hostView(box: Box) {
  return {
    id: box.id,
    name: box.name,
    address: box.address,
    port: box.port,
    user: box.sshUser,
    pool: box.pool,
    fingerprint: box.hostKeyFingerprint,
    status: box.status,
    statusReason: box.statusReason,
    tenantId: box.tenantId,
    bootstrappedAt: box.bootstrappedAt?.toISOString() ?? null,
    createdAt: box.createdAt.toISOString(),
  };
}

export type HostView = ReturnType<typeof hostView>;

/** Who did it, for the audit log. */
export interface HostOperator {
  userId: string;
  email: string;
  ip?: string | null;
  requestId?: string | null;
}
