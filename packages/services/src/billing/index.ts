/**
 * The database side of billing's rating half: the price book, rating at ingestion, re-rating, box time, and cost
 * reads. Money math is packages/billing's; this folder loads rows, calls it and stores results. It imports only
 * `tenants/tenant-identity` (types) among service folders; `collect` imports it, never the other way.
 */
export { BatchRater, type RatableRow, type RatedColumns, rateEventRows } from './rate-event-rows';
export { createModelPrice, listModelPrices, updateModelPrice } from './model-prices';
export { createServerTypePrice, listServerTypePrices } from './server-type-prices';
export { listFlaggedUsage, listUnpricedUsage } from './unpriced-usage';
export { rerateUnpriced } from './rerate-unpriced';
export { rerateAllUnpriced } from './rerate-all';
export { type BoxTimeResult, DEFAULT_SERVER_TYPE, isBillableBoxStatus, meterBoxTime } from './meter-box-time';
export { prepareBillingPeriod } from './prepare-billing-period';
export { type CostGrouping, readBoxTime, readCostGroups } from './read-costs';
export { readOperatorCosts, readTenantCosts } from './tenant-costs';
export { readTopSpenders } from './operator-costs';
