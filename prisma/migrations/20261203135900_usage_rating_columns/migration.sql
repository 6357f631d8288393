-- The control plane prices usage itself (issue 10). Each usage event keeps what the box reported beside what the
-- control plane charges, exactly: `charged_picos` is 10^-12 of the currency's major unit (tokens x a per-million
-- price in micros, no rounding), summed and rounded once where a figure is shown or invoiced.
--   rating = 'none'     the event carries no usage (nothing to price)
--          = 'priced'   charged_picos is set, from model_price_id
--          = 'unpriced' usage on a model with no price in force when the step finished; priced later (re-rating)
ALTER TABLE "usage_events"
    ADD COLUMN "tokens_cached_in" INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN "reported_cost_micros" BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN "charged_picos" BIGINT,
    ADD COLUMN "rating" VARCHAR(16) NOT NULL DEFAULT 'none',
    ADD COLUMN "model_price_id" UUID;

-- Unpriced usage is listed for operators and re-rated when a price arrives: a small partial index finds it.
CREATE INDEX "usage_events_unpriced_idx" ON "usage_events"("model", "occurred_at") WHERE "rating" = 'unpriced';
