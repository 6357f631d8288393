-- Boxes: a display name, an explicit operator choice for trust-on-first-use, and bootstrap's own report.
ALTER TABLE "boxes" ADD COLUMN "name" VARCHAR(128);
ALTER TABLE "boxes" ADD COLUMN "host_key_tofu_allowed" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "boxes" ADD COLUMN "bootstrap_report" JSONB;

-- Token totals per run and per step fit in integer (2^31 tokens is far beyond any run), and integers reach the
-- API as plain numbers; costs stay bigint micro-units.
ALTER TABLE "runs" ALTER COLUMN "tokens_in" TYPE INTEGER, ALTER COLUMN "tokens_out" TYPE INTEGER;
ALTER TABLE "run_steps" ALTER COLUMN "tokens_in" TYPE INTEGER, ALTER COLUMN "tokens_out" TYPE INTEGER;
