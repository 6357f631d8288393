-- Operators get a role of their own (owner: everything and the operators; operator: the platform; viewer: reads),
-- and workspaces a read-only member role. The operator role lives in its own column because user_role already says
-- "operator" (no tenant) versus owner/admin/member (one tenant), and "owner" means a workspace's owner there.
CREATE TYPE "operator_role" AS ENUM ('owner', 'operator', 'viewer');

ALTER TYPE "user_role" ADD VALUE 'viewer';

ALTER TABLE "users" ADD COLUMN "operator_role" "operator_role";

-- Every operator so far could do everything: they stay owners (the first operator must be able to manage the rest).
UPDATE "users" SET "operator_role" = 'owner' WHERE "role" = 'operator';

ALTER TABLE "users" ADD CONSTRAINT "users_operator_role_check"
  CHECK (("role" = 'operator') = ("operator_role" IS NOT NULL));
