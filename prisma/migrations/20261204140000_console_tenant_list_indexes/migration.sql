-- The operator console's tenant list (GET /v1/operator/tenants) at 10,000 tenants and beyond: its keyset pages walk
-- (created_at, id) newest first, and its search is a case-insensitive prefix of the slug, the name or a user's email.
-- Without these, every page sorts the whole table and every search reads all of it. (The email prefix is matched in a
-- subquery over users, a scan of the tenants' users: ~10 ms at 10,000.)
CREATE INDEX "tenants_created_at_id_idx" ON "tenants" ("created_at", "id");
-- text_pattern_ops: LIKE 'prefix%' can use the index whatever the database's collation.
CREATE INDEX "tenants_lower_slug_prefix_idx" ON "tenants" (lower("slug") text_pattern_ops);
CREATE INDEX "tenants_lower_name_prefix_idx" ON "tenants" (lower("name") text_pattern_ops);
