import './workspace.css';
import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { api, query } from '../api/http';
import { Chart } from '../ui/chart';
import { ErrorNote } from '../ui/layout';
import { formatCost } from './run-status';
import type { Costs, Usage } from './types';

const PERIODS = [
  { days: 7, label: 'last 7 days' },
  { days: 30, label: 'last 30 days' },
  { days: 90, label: 'last 90 days' },
];

// Stable: the chart is drawn again only when its figures change.
const money = (minor: number) => formatCost(minor);

/** Every UTC day of [from, to) as `YYYY-MM-DD`: days without usage show as zero, not as a gap. */
function daysOf(from: string, to: string): string[] {
  const days: string[] = [];
  const end = new Date(to).getTime();
  for (let t = Date.parse(`${from.slice(0, 10)}T00:00:00Z`); t < end; t += 86_400_000) {
    days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days;
}

/**
 * Usage and cost over a period, per UTC day: tokens the agents used (bars) and what the control plane charged for
 * them and for box time (line), both computed by the API from its own records; the charge by chain below.
 */
export default function UsagePage() {
  const [days, setDays] = useState(30);
  const from = useMemo(() => new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10), [days]);
  const usage = useQuery({
    queryKey: ['usage', from],
    queryFn: () => api<Usage>(`/v1/usage${query({ from, groupBy: 'day' })}`),
  });
  const costs = useQuery({
    queryKey: ['costs', from, 'day'],
    queryFn: () => api<Costs>(`/v1/costs${query({ from, groupBy: 'day' })}`),
  });
  const byChain = useQuery({
    queryKey: ['costs', from, 'chain'],
    queryFn: () => api<Costs>(`/v1/costs${query({ from, groupBy: 'chain' })}`),
  });
  const charts = useMemo(() => {
    if (!usage.data || !costs.data) return null;
    const labels = daysOf(usage.data.from, usage.data.to);
    const tokens = new Map(usage.data.groups.map((g) => [g.key, g]));
    const charged = new Map<string, number>();
    for (const line of [...costs.data.usage, ...costs.data.boxTime]) {
      if (line.key) charged.set(line.key, (charged.get(line.key) ?? 0) + line.chargedMinor);
    }
    return {
      labels,
      tokens: [
        { label: 'Tokens in', values: labels.map((d) => tokens.get(d)?.tokensIn ?? 0) },
        { label: 'Tokens out', values: labels.map((d) => tokens.get(d)?.tokensOut ?? 0) },
      ],
      cost: [{ label: 'Charged', values: labels.map((d) => charged.get(d) ?? 0) }],
    };
  }, [usage.data, costs.data]);
  return (
    <section aria-labelledby="usage-title">
      <h1 id="usage-title">Usage and cost</h1>
      <label htmlFor="usage-period">Period</label>{' '}
      <select id="usage-period" value={days} onChange={(e) => setDays(Number(e.target.value))}>
        {PERIODS.map((p) => (
          <option key={p.days} value={p.days}>
            {p.label}
          </option>
        ))}
      </select>
      <ErrorNote error={usage.error ?? costs.error ?? byChain.error} />
      {usage.data && (
        <p data-testid="usage-totals">
          {usage.data.totals.tokensIn} tokens in, {usage.data.totals.tokensOut} out, {usage.data.totals.records} model
          calls · model cost {formatCost(usage.data.totals.costMinor, usage.data.currency)}
        </p>
      )}
      {charts && (
        <div className="charts">
          <Chart title="Tokens per day" kind="bar" labels={charts.labels} series={charts.tokens} />
          <Chart title="Charged per day" kind="line" labels={charts.labels} series={charts.cost} formatValue={money} />
        </div>
      )}
      {byChain.data && byChain.data.usage.length > 0 && (
        <table>
          <caption>Charged by chain</caption>
          <thead>
            <tr>
              <th scope="col">Chain</th>
              <th scope="col">Tokens in / out</th>
              <th scope="col">Charged</th>
              <th scope="col">Unpriced calls</th>
            </tr>
          </thead>
          <tbody>
            {byChain.data.usage.map((line) => (
              <tr key={`${line.key}:${line.currency}`}>
                <td>{line.key ?? 'unknown'}</td>
                <td>
                  {line.tokensIn} / {line.tokensOut}
                </td>
                <td>{formatCost(line.chargedMinor, line.currency)}</td>
                <td>{line.unpricedEvents}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
