-- Invoices as documents (issue 10): draft -> issued -> paid / void, corrected by credit notes, numbered without gaps;
-- subscriptions as spans of a tenant on a plan, so a month's fee can be prorated over plan changes and trials.

-- "issued" is what the product calls it; `open` was never written by any code.
ALTER TYPE "invoice_status" RENAME VALUE 'open' TO 'issued';
ALTER TYPE "invoice_line_kind" ADD VALUE 'allowance';
ALTER TYPE "invoice_line_kind" ADD VALUE 'overage';
ALTER TYPE "invoice_line_kind" ADD VALUE 'credit';
CREATE TYPE "invoice_kind" AS ENUM ('invoice', 'credit_note');

-- usage_from / usage_through: the window of *receipt* (usage_events.received_at, cost_entries.created_at) the invoice
-- covers, for usage that happened before the period's end. The next invoice of the tenant starts where this one ends,
-- so usage that arrives after an invoice was made lands on the next period's invoice, never on two, never on none.
ALTER TABLE "invoices"
    ADD COLUMN "kind" "invoice_kind" NOT NULL DEFAULT 'invoice',
    ADD COLUMN "corrects_invoice_id" UUID,
    ADD COLUMN "replaces_invoice_id" UUID,
    ADD COLUMN "usage_from" TIMESTAMPTZ(3),
    ADD COLUMN "usage_through" TIMESTAMPTZ(3),
    ADD COLUMN "void_reason" TEXT,
    ADD COLUMN "generated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;
ALTER TABLE "invoices" ADD CONSTRAINT "invoices_corrects_invoice_id_fkey" FOREIGN KEY ("corrects_invoice_id") REFERENCES "invoices"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "invoices" ADD CONSTRAINT "invoices_replaces_invoice_id_fkey" FOREIGN KEY ("replaces_invoice_id") REFERENCES "invoices"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
-- One credit note per credited invoice, one replacement per voided invoice.
CREATE UNIQUE INDEX "invoices_corrects_invoice_id_key" ON "invoices"("corrects_invoice_id");
CREATE UNIQUE INDEX "invoices_replaces_invoice_id_key" ON "invoices"("replaces_invoice_id");
ALTER TABLE "invoices" ADD CONSTRAINT "invoices_kind_links_check" CHECK (
    ("kind" = 'credit_note') = ("corrects_invoice_id" IS NOT NULL)
    AND ("kind" = 'invoice' OR "replaces_invoice_id" IS NULL));

-- The monthly close's upsert target: exactly one original invoice per tenant and month, whatever runs it how often;
-- and never two live invoices for one month (a voided one may be replaced once, by an operator).
DROP INDEX "invoices_one_per_tenant_period";
CREATE UNIQUE INDEX "invoices_one_original_per_tenant_period" ON "invoices"("tenant_id", "period_start")
    WHERE "kind" = 'invoice' AND "replaces_invoice_id" IS NULL;
CREATE UNIQUE INDEX "invoices_one_live_per_tenant_period" ON "invoices"("tenant_id", "period_start")
    WHERE "kind" = 'invoice' AND "status" <> 'void';

-- Gap-free numbers: a row per series (`PDK-2026`, `PDK-CN-2026`) locked in the transaction that numbers invoices.
-- A sequence would leave gaps (a rolled-back transaction keeps its number); this row's lock does not.
CREATE TABLE "invoice_number_counters" (
    "series" VARCHAR(32) NOT NULL,
    "next_number" BIGINT NOT NULL DEFAULT 1,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "invoice_number_counters_pkey" PRIMARY KEY ("series")
);

-- A subscription row is a span [started_at, ended_at) of a tenant on one plan: a plan change ends one span and
-- starts the next; a trial span (status trialing) ends at trial_ends_at into after_trial_plan_id, or into a
-- suspension when that is null.
ALTER TABLE "subscriptions"
    ADD COLUMN "started_at" TIMESTAMPTZ(3),
    ADD COLUMN "ended_at" TIMESTAMPTZ(3),
    ADD COLUMN "trial_ends_at" TIMESTAMPTZ(3),
    ADD COLUMN "after_trial_plan_id" UUID;
UPDATE "subscriptions" SET "started_at" = "current_period_start";
UPDATE "subscriptions" SET "ended_at" = "canceled_at" WHERE "status" = 'canceled';
ALTER TABLE "subscriptions" ALTER COLUMN "started_at" SET NOT NULL, ALTER COLUMN "started_at" SET DEFAULT CURRENT_TIMESTAMP;
ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_after_trial_plan_id_fkey" FOREIGN KEY ("after_trial_plan_id") REFERENCES "plans"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
CREATE INDEX "subscriptions_tenant_id_started_at_idx" ON "subscriptions"("tenant_id", "started_at");
-- The scheduled trial check finds due trials through this.
CREATE INDEX "subscriptions_trial_due_idx" ON "subscriptions"("trial_ends_at") WHERE "status" = 'trialing';
