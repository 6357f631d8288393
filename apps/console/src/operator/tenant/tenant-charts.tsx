import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { api, query } from '../../api/http';
import type { Costs } from '../../api/operator-pages-types';
import { Chart } from '../../ui/chart';
import { ErrorNote } from '../../ui/layout';
import { formatMicros, microsToMajor } from '../../ui/money';

const DAYS = 30;
const DAY_MS = 86_400_000;

/** The UTC days of the last 30, oldest first ('2026-11-04'), so days without usage are drawn as 0, not skipped. */
function lastDays(now: number): string[] {
  const today = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), new Date(now).getUTCDate());
  return Array.from({ length: DAYS }, (_, i) => new Date(today - (DAYS - 1 - i) * DAY_MS).toISOString().slice(0, 10));
}

/**
 * A tenant's last 30 days as an operator sees them: tokens per day and what was charged per day (model usage and box
 * time), from GET /v1/operator/tenants/:id/costs (rated on the server; the console only draws it).
 */
export function TenantCharts({ tenantId }: { tenantId: string }) {
  const days = useMemo(() => lastDays(Date.now()), []);
  const from = days[0] ?? '';
  const costs = useQuery({
    queryKey: ['tenant-costs', tenantId, from],
    queryFn: () =>
      api<Costs>(`/v1/operator/tenants/${encodeURIComponent(tenantId)}/costs${query({ from, groupBy: 'day' })}`),
  });
  const figures = useMemo(() => (costs.data ? byDay(costs.data, days) : null), [costs.data, days]);
  return (
    <section aria-labelledby="tenant-usage-title">
      <h2 id="tenant-usage-title">Usage and cost, last {DAYS} days</h2>
      <ErrorNote error={costs.error} />
      {figures && (
        <>
          <p className="muted" data-testid="tenant-cost-total">
            Charged in {DAYS} days: {formatMicros(String(figures.totalMicros), figures.currency)} ({figures.events}{' '}
            usage events)
          </p>
          <div className="charts">
            <Chart
              kind="line"
              title="Tokens per day"
              labels={days}
              series={[
                { label: 'Tokens in', values: figures.tokensIn },
                { label: 'Tokens out', values: figures.tokensOut },
              ]}
            />
            <Chart
              kind="bar"
              stacked
              title={`Charged per day (${figures.currency})`}
              labels={days}
              series={[
                { label: 'Model usage', values: figures.usage },
                { label: 'Box time', values: figures.boxTime },
              ]}
              formatValue={(value) => formatMicros(String(Math.round(value * 1_000_000)), figures.currency)}
            />
          </div>
        </>
      )}
    </section>
  );
}

function byDay(costs: Costs, days: string[]) {
  // One currency is drawn: the tenant's (its plan's prices are in one). Rows in another would be a pricing mistake.
  const currency = costs.usage[0]?.currency ?? costs.boxTime[0]?.currency ?? 'USD';
  const index = new Map(days.map((day, i) => [day, i]));
  const zeros = () => days.map(() => 0);
  const figures = { currency, tokensIn: zeros(), tokensOut: zeros(), usage: zeros(), boxTime: zeros() };
  let totalMicros = 0;
  let events = 0;
  for (const row of costs.usage) {
    const i = row.key === null ? undefined : index.get(row.key);
    if (i === undefined || row.currency !== currency) continue;
    figures.tokensIn[i] = row.tokensIn;
    figures.tokensOut[i] = row.tokensOut;
    figures.usage[i] = microsToMajor(row.chargedMicros);
    totalMicros += Number(row.chargedMicros);
    events += row.events;
  }
  for (const row of costs.boxTime) {
    const i = index.get(row.key);
    if (i === undefined || row.currency !== currency) continue;
    figures.boxTime[i] = microsToMajor(row.chargedMicros);
    totalMicros += Number(row.chargedMicros);
  }
  return { ...figures, totalMicros, events };
}
