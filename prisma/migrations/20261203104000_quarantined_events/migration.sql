-- Events a box sent that the collector refused to store (too large, malformed, values no column holds, a run of
-- another box): recorded for operators with the box, the event's identity where known and a bounded excerpt, in the
-- transaction that moves the box's cursor past them, so one bad event never stalls a box's collection.
-- The same bad event read twice has the same fingerprint: (box_id, fingerprint) records it once.
CREATE TABLE "quarantined_events" (
    "id" BIGSERIAL NOT NULL,
    "tenant_id" UUID NOT NULL,
    "box_id" UUID NOT NULL,
    "runtime_run_id" VARCHAR(128),
    "seq" BIGINT,
    "cursor" VARCHAR(200),
    "reason" VARCHAR(64) NOT NULL,
    "detail" VARCHAR(300) NOT NULL,
    "bytes" BIGINT NOT NULL,
    "excerpt" TEXT NOT NULL,
    "fingerprint" VARCHAR(64) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "quarantined_events_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "quarantined_events_box_id_fingerprint_key" ON "quarantined_events"("box_id", "fingerprint");
-- Operators page newest first, for everything or one tenant or one box.
CREATE INDEX "quarantined_events_tenant_id_id_idx" ON "quarantined_events"("tenant_id", "id");
CREATE INDEX "quarantined_events_box_id_id_idx" ON "quarantined_events"("box_id", "id");

ALTER TABLE "quarantined_events" ADD CONSTRAINT "quarantined_events_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "quarantined_events" ADD CONSTRAINT "quarantined_events_box_id_fkey" FOREIGN KEY ("box_id") REFERENCES "boxes"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
