-- Rollouts an operator drives (issue 11): canary first, then batches of a set size; a failure threshold stops and
-- rolls back; pause / resume / abort. Each box of a rollout is a row whose status moves forward only, so a worker
-- that takes over a rollout after a crash knows which boxes are done and never deploys one twice.

ALTER TABLE "rollouts"
    ADD COLUMN "batch_size" INTEGER NOT NULL DEFAULT 8,
    -- How many failed boxes (after the canary) stop the rollout and roll it back.
    ADD COLUMN "max_failures" INTEGER NOT NULL DEFAULT 1,
    -- The batch being deployed (0 = the canary batch).
    ADD COLUMN "current_batch" INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN "rolled_back_boxes" INTEGER NOT NULL DEFAULT 0,
    -- Why it stopped (threshold, canary, an operator's abort), for people.
    ADD COLUMN "reason" TEXT,
    ADD COLUMN "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

-- Only one rollout moves boxes at a time: two at once would race for the same boxes' releases.
CREATE UNIQUE INDEX "rollouts_one_active_idx" ON "rollouts"((true)) WHERE "status" IN ('pending', 'running', 'paused', 'rolling_back');

-- The release new boxes get: the newest promoted one (a rollout that succeeded promotes its release; the first
-- release and releases published at worker start are promoted when published).
ALTER TABLE "releases" ADD COLUMN "promoted_at" TIMESTAMPTZ(3);
UPDATE "releases" SET "promoted_at" = "created_at";

CREATE TABLE "rollout_boxes" (
    "rollout_id" UUID NOT NULL,
    "box_id" UUID NOT NULL,
    -- Order in the rollout; the canary boxes come first.
    "position" INTEGER NOT NULL,
    "batch" INTEGER NOT NULL,
    -- pending -> deploying -> succeeded | failed | skipped (never started: the rollout stopped, or the box is gone);
    -- succeeded -> reverted when the rollout is rolled back.
    "status" VARCHAR(16) NOT NULL DEFAULT 'pending',
    "deploy_id" UUID,
    "previous_release_id" UUID,
    "error" TEXT,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "rollout_boxes_pkey" PRIMARY KEY ("rollout_id", "box_id"),
    CONSTRAINT "rollout_boxes_status_check"
        CHECK ("status" IN ('pending', 'deploying', 'succeeded', 'failed', 'skipped', 'reverted'))
);

CREATE INDEX "rollout_boxes_rollout_id_batch_idx" ON "rollout_boxes"("rollout_id", "batch");
CREATE INDEX "rollout_boxes_box_id_idx" ON "rollout_boxes"("box_id");

ALTER TABLE "rollout_boxes" ADD CONSTRAINT "rollout_boxes_rollout_id_fkey" FOREIGN KEY ("rollout_id") REFERENCES "rollouts"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "rollout_boxes" ADD CONSTRAINT "rollout_boxes_box_id_fkey" FOREIGN KEY ("box_id") REFERENCES "boxes"("id") ON DELETE CASCADE ON UPDATE CASCADE;
