-- The operator console sorts the tenant list on the server (GET /v1/operator/tenants?sort=name|slug|status): each
-- sort is keyset-paged over (sort columns, id), so each gets a btree index on exactly those columns; a page is then
-- an index range scan, not a sort of every tenant. Sorting by slug uses its unique index (a slug is unique, so the
-- id never decides). Both directions read the same index.
CREATE INDEX "tenants_name_id_idx" ON "tenants" ("name", "id");
CREATE INDEX "tenants_status_created_at_id_idx" ON "tenants" ("status", "created_at", "id");
