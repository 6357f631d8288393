-- Plans and their limits (issue 10). Box hours are billed as the provider's price per hour times (1 + markup):
-- 0 is pass-through, like `usage_markup_bps` for tokens.
ALTER TABLE "plans" ADD COLUMN "box_hour_markup_bps" INTEGER NOT NULL DEFAULT 0;

-- Max concurrent runs is checked at every start (count under a per-tenant lock, in the transaction that inserts the
-- run): the count reads only a tenant's active runs, never its whole history.
CREATE INDEX "runs_tenant_active_idx" ON "runs"("tenant_id") WHERE "status" IN ('queued', 'running', 'waiting_decision');
