-- Tenant reads page runs and decisions by status, ordered by (created_at, id) with a keyset on that pair. With
-- (tenant_id, status) alone a page of a large tenant read every row of that status and sorted them (a decisions page
-- of a tenant with 250,000 approved decisions: 163 ms with a sort on disk), or walked the tenant's newest runs
-- filtering on status (a rare status: 80 ms, 247,000 rows read). The ordering columns make a page one index range
-- (0.2 ms). They replace the (tenant_id, status) indexes, which they cover as a prefix, so writes keep one index each.
CREATE INDEX "runs_tenant_id_status_created_at_id_idx" ON "runs"("tenant_id", "status", "created_at", "id");
DROP INDEX "runs_tenant_id_status_idx";

CREATE INDEX "decisions_tenant_id_status_created_at_id_idx" ON "decisions"("tenant_id", "status", "created_at", "id");
DROP INDEX "decisions_tenant_id_status_idx";
