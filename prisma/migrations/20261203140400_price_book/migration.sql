-- The control plane's price book (issue 10). Prices are versions: a version is in force from `effective_from` until
-- the next version of the same model (or server type) begins. A version that rated anything is never edited: a new
-- version supersedes it (the service refuses the edit with `price_in_use`), so every charge names the price it used.
CREATE TABLE "model_prices" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "model" VARCHAR(128) NOT NULL,
    "currency" VARCHAR(3) NOT NULL,
    "input_micros_per_million" BIGINT NOT NULL,
    "output_micros_per_million" BIGINT NOT NULL,
    "cached_input_micros_per_million" BIGINT NOT NULL,
    "effective_from" TIMESTAMPTZ(3) NOT NULL,
    "note" VARCHAR(500),
    "created_by" VARCHAR(320) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "model_prices_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "model_prices_amounts_check" CHECK ("input_micros_per_million" >= 0 AND "output_micros_per_million" >= 0
        AND "cached_input_micros_per_million" >= 0)
);
-- One version per model and instant: "the price in force at t" always has one answer.
CREATE UNIQUE INDEX "model_prices_model_effective_from_key" ON "model_prices"("model", "effective_from");

CREATE TABLE "server_type_prices" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "provider" "box_provider" NOT NULL,
    "server_type" VARCHAR(64) NOT NULL,
    "currency" VARCHAR(3) NOT NULL,
    "micros_per_hour" BIGINT NOT NULL,
    "effective_from" TIMESTAMPTZ(3) NOT NULL,
    "note" VARCHAR(500),
    "created_by" VARCHAR(320) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "server_type_prices_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "server_type_prices_amount_check" CHECK ("micros_per_hour" >= 0)
);
CREATE UNIQUE INDEX "server_type_prices_provider_server_type_effective_from_key"
    ON "server_type_prices"("provider", "server_type", "effective_from");

ALTER TABLE "usage_events" ADD CONSTRAINT "usage_events_model_price_id_fkey" FOREIGN KEY ("model_price_id")
    REFERENCES "model_prices"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
CREATE INDEX "usage_events_model_price_id_idx" ON "usage_events"("model_price_id");

-- What the box reported differs from what the control plane charges by more than the threshold (packages/billing
-- `differsTooMuch`): listed for operators. A small partial index finds them.
ALTER TABLE "usage_events" ADD COLUMN "cost_flagged" BOOLEAN NOT NULL DEFAULT false;
CREATE INDEX "usage_events_cost_flagged_idx" ON "usage_events"("id") WHERE "cost_flagged";

-- Box time is metered from the control plane's own records, never from the box: every status a box row enters is
-- recorded here with the instant, by a trigger, so no code path that moves a box can forget to (the provisioning,
-- deletion and health code all update `boxes.status` in their own ways).
CREATE TABLE "box_status_changes" (
    "id" BIGSERIAL NOT NULL,
    "box_id" UUID NOT NULL,
    "tenant_id" UUID,
    "status" "box_status" NOT NULL,
    "changed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "box_status_changes_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "box_status_changes_box_id_changed_at_idx" ON "box_status_changes"("box_id", "changed_at");
ALTER TABLE "box_status_changes" ADD CONSTRAINT "box_status_changes_box_id_fkey" FOREIGN KEY ("box_id")
    REFERENCES "boxes"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE FUNCTION "record_box_status_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
    -- clock_timestamp(), not now(): two changes in one transaction keep their order and their own instants.
    INSERT INTO box_status_changes (box_id, tenant_id, status, changed_at)
    VALUES (NEW.id, NEW.tenant_id, NEW.status, clock_timestamp());
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER "boxes_status_history" AFTER INSERT OR UPDATE OF "status" ON "boxes"
    FOR EACH ROW EXECUTE FUNCTION "record_box_status_change"();

-- Boxes that exist already: their creation, and their end where they have one (the best the old rows know).
INSERT INTO box_status_changes (box_id, tenant_id, status, changed_at)
SELECT id, tenant_id, CASE WHEN status = 'destroyed' THEN 'ready'::box_status ELSE status END, created_at
  FROM boxes;
INSERT INTO box_status_changes (box_id, tenant_id, status, changed_at)
SELECT id, tenant_id, status, COALESCE(destroyed_at, updated_at) FROM boxes WHERE status = 'destroyed';
