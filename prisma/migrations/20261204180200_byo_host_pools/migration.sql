-- Bring-your-own hosts (issue 11): an operator registers a host into a named pool; signups on a plan whose provider
-- is `byo` claim a free host of the pool the plan's server type names (`default` when none).
ALTER TABLE "boxes" ADD COLUMN "pool" VARCHAR(64);
UPDATE "boxes" SET "pool" = 'default' WHERE "provider" = 'byo';
CREATE INDEX "boxes_free_byo_pool_idx" ON "boxes"("pool", "created_at")
    WHERE "provider" = 'byo' AND "tenant_id" IS NULL AND "destroyed_at" IS NULL;
-- One live registration per address: the same machine registered twice would be handed to two tenants.
CREATE UNIQUE INDEX "boxes_byo_address_port_key" ON "boxes"("address", "port")
    WHERE "provider" = 'byo' AND "destroyed_at" IS NULL;
