-- Runs on a box whose daemon never returns (issue 11). `lost_at`/`lost_reason` say when and why a run was given up
-- on; they are cleared when the box comes back and the run is seen again (its status derived from its steps).
ALTER TABLE "runs"
    ADD COLUMN "lost_at" TIMESTAMPTZ(3),
    ADD COLUMN "lost_reason" TEXT;

-- The last health answer in which the box's runtime daemon was running: the clock for declaring its runs lost,
-- whether the box stopped answering at all or answers without a daemon.
ALTER TABLE "boxes" ADD COLUMN "daemon_seen_at" TIMESTAMPTZ(3);
UPDATE "boxes" SET "daemon_seen_at" = "last_seen_at" WHERE ("health" -> 'daemon' ->> 'running') = 'true';

-- The sweep looks only at unfinished runs.
CREATE INDEX "runs_box_id_unfinished_idx" ON "runs"("box_id") WHERE "status" IN ('running', 'waiting_decision');

-- Boxes that were unreachable during a rollout (issue 11): `offline` in the rollout (not deployed, not counted as
-- succeeded); when the box returns it catches up to the promoted release (`caught_up`), or to a newer one
-- (`superseded`); a rollout that stops marks them `skipped` like its other unstarted boxes.
ALTER TABLE "rollout_boxes" DROP CONSTRAINT "rollout_boxes_status_check";
ALTER TABLE "rollout_boxes" ADD CONSTRAINT "rollout_boxes_status_check"
    CHECK ("status" IN ('pending', 'deploying', 'succeeded', 'failed', 'skipped', 'reverted', 'offline',
                        'caught_up', 'superseded'));
CREATE INDEX "rollout_boxes_offline_idx" ON "rollout_boxes"("box_id") WHERE "status" = 'offline';

ALTER TABLE "rollouts" ADD COLUMN "offline_boxes" INTEGER NOT NULL DEFAULT 0;
