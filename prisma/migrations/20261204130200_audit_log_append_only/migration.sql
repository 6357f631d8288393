-- The audit log says who changed what, from where, and the target before and after the change.
ALTER TABLE "audit_log" ADD COLUMN "before" JSONB;
ALTER TABLE "audit_log" ADD COLUMN "after" JSONB;
ALTER TABLE "audit_log" ADD COLUMN "user_agent" VARCHAR(512);

-- The operator API searches by actor and by action, newest first (id order is insertion order).
CREATE INDEX "audit_log_actor_id_id_idx" ON "audit_log"("actor_id", "id");
CREATE INDEX "audit_log_action_id_idx" ON "audit_log"("action", "id");

-- Append-only: rows are written, never changed or removed. Two locks, because either alone can be lost: the app
-- role's UPDATE/DELETE/TRUNCATE grants are taken back (default privileges gave them), and a trigger refuses the
-- same for every role but a superuser's session_replication_role escape (the owner could drop it, the app cannot).
DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT DISTINCT grantee FROM information_schema.role_table_grants
            WHERE table_schema = current_schema() AND table_name = 'audit_log'
              AND privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE') AND grantee <> current_user LOOP
    EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM %I', r.grantee);
  END LOOP;
END $$;

CREATE FUNCTION "audit_log_refuse_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER "audit_log_append_only" BEFORE UPDATE OR DELETE ON "audit_log"
  FOR EACH ROW EXECUTE FUNCTION "audit_log_refuse_change"();
CREATE TRIGGER "audit_log_no_truncate" BEFORE TRUNCATE ON "audit_log"
  FOR EACH STATEMENT EXECUTE FUNCTION "audit_log_refuse_change"();
