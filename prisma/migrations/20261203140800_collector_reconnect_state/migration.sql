-- The collector's reconnect state for a box it cannot reach: how many reopen attempts failed in a row, the backoff
-- it waits before the next (doubling, capped), when that is, and why the last one failed. Operators read it (box
-- health); it is reset when the box answers again.
ALTER TABLE "collector_cursors" ADD COLUMN "reconnect_failures" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "collector_cursors" ADD COLUMN "reconnect_delay_ms" INTEGER;
ALTER TABLE "collector_cursors" ADD COLUMN "next_reconnect_at" TIMESTAMPTZ(3);
ALTER TABLE "collector_cursors" ADD COLUMN "reconnect_error" VARCHAR(500);
