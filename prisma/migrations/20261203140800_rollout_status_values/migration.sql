-- Rollout states for pausing and rolling back (issue 11). In a migration of their own: PostgreSQL lets a new enum
-- value be used only after the transaction that added it has committed (the next migration's index uses them).
ALTER TYPE "rollout_status" ADD VALUE IF NOT EXISTS 'paused' AFTER 'running';
ALTER TYPE "rollout_status" ADD VALUE IF NOT EXISTS 'rolling_back' AFTER 'paused';
