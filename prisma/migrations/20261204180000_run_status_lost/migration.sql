-- A run whose box's runtime daemon has not been seen for a set time (box gone, daemon dead beyond its supervision)
-- is `lost` (issue 11), not `running` for ever. In a migration of its own: PostgreSQL lets a new enum value be used
-- only after the transaction that added it has committed.
ALTER TYPE "run_status" ADD VALUE IF NOT EXISTS 'lost' AFTER 'canceled';
