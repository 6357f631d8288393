import type { FleetEvent } from '@paddock/fleet';
import { raiseAlert } from '../alerts/raise-alert';
import { auditActorOf, writeAudit } from '../audit/audit-entry';
import type { ServiceClients } from '../clients';

type Mismatch = Extract<FleetEvent, { type: 'host_key.mismatch' }>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface MismatchActor {
  type: 'user' | 'api_key' | 'system';
  id?: string | null;
  label: string;
}

/** The alert key of a box's changed host key: one open alert per box, whoever met the key. */
export function hostKeyAlertKey(boxId: string): string {
  return `host_key_changed:${boxId}`;
}

/**
 * A box presented another host key than its pin (the connection was refused before authenticating). In one
 * transaction: the critical `host_key_changed` alert is opened or bumped, the box is marked `unreachable` with the
 * presented key as reason, and, when this opened the alert, one audit row says who met it where. Repeats (every
 * retry of the collector, every tenant request through the API) only bump the alert: they would otherwise fill the
 * audit log with one incident. Resolves true when this call opened the incident.
 */
export async function recordHostKeyMismatch(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  event: Mismatch,
  actor: MismatchActor,
): Promise<boolean> {
  return prisma.$transaction(async (tx) => {
    // The box row is locked first: an operator's re-pin updates it, so the two are serialised. Without the lock a
    // mismatch that read the old pin just before a re-pin committed would reopen the alert the re-pin had resolved
    // and mark the box unreachable again. Under the lock it sees the new pin (and raises nothing), or the re-pin
    // waits and then resolves what this opened.
    const [box] = UUID.test(event.boxId)
      ? await tx.$queryRaw<
          Array<{
            tenantId: string | null;
            hostKeyFingerprint: string | null;
            hostKeyPendingFingerprint: string | null;
          }>
        >`
          SELECT tenant_id::text AS "tenantId", host_key_fingerprint AS "hostKeyFingerprint",
                 host_key_pending_fingerprint AS "hostKeyPendingFingerprint"
            FROM boxes WHERE id = ${event.boxId}::uuid FOR UPDATE`
      : [];
    // A dial that loaded the box's pin before an operator re-pinned it meets the new key: that is the old pin being
    // stale, not the box changing again. It is refused all the same, but raises nothing (the next dial uses the pin).
    if (box?.hostKeyFingerprint && box.hostKeyFingerprint !== event.expected) {
      if (box.hostKeyFingerprint === event.presented || box.hostKeyPendingFingerprint === event.presented) return false;
    }
    const details = { address: event.address, expected: event.expected, presented: event.presented };
    const opened = await raiseAlert(
      { prisma: tx },
      {
        tenantId: box?.tenantId ?? null,
        boxId: box ? event.boxId : null,
        severity: 'critical',
        code: 'host_key_changed',
        message: `Box ${event.boxId} at ${event.address} presented host key ${event.presented}, not the pinned ${event.expected}: connection refused. Check the box, then re-pin its key (POST /v1/operator/boxes/${event.boxId}/host-key).`,
        details,
        dedupeKey: hostKeyAlertKey(event.boxId),
      },
    );
    if (box) {
      await tx.box.updateMany({
        where: { id: event.boxId, status: { notIn: ['destroying', 'destroyed'] } },
        data: { status: 'unreachable', statusReason: `host key changed: ${event.presented}` },
      });
    }
    if (opened) {
      await writeAudit(
        { prisma: tx },
        {
          actor: auditActorOf({ type: actor.type, id: actor.id, label: actor.label }),
          action: 'box.host_key.mismatch',
          tenantId: box?.tenantId ?? null,
          target: { type: 'box', id: event.boxId },
          details: details,
        },
      );
    }
    return opened;
  });
}
