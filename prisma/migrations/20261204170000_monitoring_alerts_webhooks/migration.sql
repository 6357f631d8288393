-- Monitoring beyond uptime (issue 15): alerts say what they are about (scope) and why they fired (evidence); the
-- evaluation job keeps a watermark so each round reads only what changed; alerts reach people through signed
-- webhooks with a delivery log.

ALTER TABLE "alerts"
    -- What the alert is about: { tenantId?, chainId?, chainVersionId?, step?, model?, boxId? }; absent is "all".
    ADD COLUMN "scope" JSONB NOT NULL DEFAULT '{}',
    -- Why it fired: [{ metric, baseline, current, threshold, baselineWindow, currentWindow, samples, sampleRunIds }].
    ADD COLUMN "evidence" JSONB NOT NULL DEFAULT '[]';

-- The open monitoring alerts are re-judged every round (so they resolve when the signal returns to normal).
CREATE INDEX "alerts_open_monitor_idx" ON "alerts"("dedupe_key") WHERE "status" <> 'resolved' AND "dedupe_key" LIKE 'monitor:%';

-- How far each evaluation has read: rows changed at or after `evaluated_through` are read again next round.
CREATE TABLE "monitoring_watermarks" (
    "name" VARCHAR(64) NOT NULL,
    "evaluated_through" TIMESTAMPTZ(3) NOT NULL,
    "rounds" INTEGER NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "monitoring_watermarks_pkey" PRIMARY KEY ("name")
);

-- Where alerts are delivered: a tenant's endpoint (its own alerts) or, with tenant_id null, an operator's (all).
CREATE TABLE "webhook_endpoints" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID,
    "url" VARCHAR(2048) NOT NULL,
    -- The signing secret as vault ciphertext (shown to its owner once, at creation).
    "secret_encrypted" TEXT NOT NULL,
    "description" VARCHAR(200),
    "min_severity" "alert_severity" NOT NULL DEFAULT 'warning',
    -- true: one digest a day of the alerts opened, instead of a delivery per alert.
    "digest" BOOLEAN NOT NULL DEFAULT false,
    "consecutive_failures" INTEGER NOT NULL DEFAULT 0,
    "disabled_at" TIMESTAMPTZ(3),
    "disabled_reason" VARCHAR(500),
    "last_digest_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "webhook_endpoints_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "webhook_endpoints_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
CREATE INDEX "webhook_endpoints_tenant_id_idx" ON "webhook_endpoints"("tenant_id");

-- Every delivery and its outcome: what was sent, how often it was tried, the last answer.
CREATE TABLE "webhook_deliveries" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "endpoint_id" UUID NOT NULL,
    "tenant_id" UUID,
    "alert_id" UUID,
    -- alert.opened, alert.resolved, digest
    "event" VARCHAR(32) NOT NULL,
    "payload" JSONB NOT NULL,
    -- pending -> delivered | failed (its retries spent) | skipped (the endpoint was disabled first)
    "status" VARCHAR(16) NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_status_code" INTEGER,
    "last_error" VARCHAR(500),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_attempt_at" TIMESTAMPTZ(3),
    "delivered_at" TIMESTAMPTZ(3),

    CONSTRAINT "webhook_deliveries_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "webhook_deliveries_status_check" CHECK ("status" IN ('pending', 'delivered', 'failed', 'skipped')),
    CONSTRAINT "webhook_deliveries_endpoint_id_fkey" FOREIGN KEY ("endpoint_id") REFERENCES "webhook_endpoints"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "webhook_deliveries_alert_id_fkey" FOREIGN KEY ("alert_id") REFERENCES "alerts"("id") ON DELETE SET NULL ON UPDATE CASCADE
);
CREATE INDEX "webhook_deliveries_endpoint_id_created_at_idx" ON "webhook_deliveries"("endpoint_id", "created_at");
CREATE INDEX "webhook_deliveries_alert_id_idx" ON "webhook_deliveries"("alert_id");

-- What a monitoring round reads incrementally: runs and steps changed since the watermark, a model's recent
-- attempts, watchdog kills, running steps and queued runs, each without scanning the whole table.
CREATE INDEX "runs_updated_at_idx" ON "runs"("updated_at");
CREATE INDEX "runs_queued_created_at_idx" ON "runs"("created_at") WHERE "status" = 'queued';
CREATE INDEX "run_steps_updated_at_idx" ON "run_steps"("updated_at");
CREATE INDEX "run_steps_model_finished_at_idx" ON "run_steps"("model", "finished_at") WHERE "model" IS NOT NULL;
CREATE INDEX "run_steps_running_updated_at_idx" ON "run_steps"("updated_at") WHERE "status" = 'running';
CREATE INDEX "usage_events_killed_occurred_at_idx" ON "usage_events"("occurred_at") WHERE "type" = 'killed';
