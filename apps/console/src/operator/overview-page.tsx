import { useQuery } from '@tanstack/react-query';
import { api } from '../api/http';
import type { OperatorOverview } from '../api/types';
import { Link } from '../router';
import { ErrorNote } from '../ui/layout';
import { formatMicros, formatMinor } from '../ui/money';

/** The operator's first look: counts by status (counted in SQL), this month's spend and margin, rollouts in progress. */
export default function OverviewPage() {
  const overview = useQuery({
    queryKey: ['overview'],
    queryFn: () => api<OperatorOverview>('/v1/operator/overview'),
    refetchInterval: 10_000,
  });
  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      <ErrorNote error={overview.error} />
      {overview.data && (
        <div className="cards">
          <Counts
            title="Tenants by status"
            counts={overview.data.tenantsByStatus}
            link={(status) => `/tenants?status=${status}`}
          />
          <Counts title="Boxes by status" counts={overview.data.boxesByStatus} />
          <Counts title="Open alerts by severity" counts={overview.data.openAlertsBySeverity} />
          <MonthSpend spend={overview.data.spendThisMonth} />
          <article className="card" aria-labelledby="rollouts-title">
            <h2 id="rollouts-title">Rollouts in progress</h2>
            {overview.data.rolloutsInProgress.length === 0 ? (
              <p>None.</p>
            ) : (
              <ul>
                {overview.data.rolloutsInProgress.map((rollout) => (
                  <li key={rollout.id}>
                    <Link to={`/rollouts?id=${rollout.id}`}>{rollout.releaseVersion}</Link> {rollout.status}:{' '}
                    {rollout.succeededBoxes}/{rollout.totalBoxes} boxes
                    {rollout.failedBoxes > 0 ? `, ${rollout.failedBoxes} failed` : ''}
                  </li>
                ))}
              </ul>
            )}
          </article>
        </div>
      )}
    </section>
  );
}

function Counts(props: { title: string; counts: Record<string, number>; link?: (key: string) => string }) {
  const entries = Object.entries(props.counts).sort(([a], [b]) => a.localeCompare(b));
  const id = props.title.toLowerCase().replace(/\W+/g, '-');
  return (
    <article className="card" aria-labelledby={id}>
      <h2 id={id}>{props.title}</h2>
      {entries.length === 0 ? (
        <p>None.</p>
      ) : (
        <table>
          <tbody>
            {entries.map(([key, count]) => (
              <tr key={key}>
                <th scope="row">{props.link ? <Link to={props.link(key)}>{key}</Link> : key}</th>
                <td className="number">{count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </article>
  );
}

function MonthSpend({ spend }: { spend: OperatorOverview['spendThisMonth'] }) {
  const month = new Date(spend.from).toLocaleDateString('en-US', { month: 'long', year: 'numeric', timeZone: 'UTC' });
  return (
    <article className="card" aria-labelledby="spend-title">
      <h2 id="spend-title">Spend this month</h2>
      <p className="muted">{month} (UTC), every tenant</p>
      {spend.currencies.length === 0 ? (
        <p>Nothing charged yet.</p>
      ) : (
        spend.currencies.map((c) => (
          <table key={c.currency} aria-label={`Spend in ${c.currency}`}>
            <tbody>
              <tr>
                <th scope="row">Charged</th>
                <td className="number" data-testid={`spend-total-${c.currency}`}>
                  {formatMinor(c.totalChargedMinor, c.currency)}
                </td>
              </tr>
              <tr>
                <th scope="row">Model usage</th>
                <td className="number">{formatMicros(c.usageChargedMicros, c.currency)}</td>
              </tr>
              <tr>
                <th scope="row">Box time</th>
                <td className="number">{formatMicros(c.boxTimeChargedMicros, c.currency)}</td>
              </tr>
              <tr>
                <th scope="row">Provider cost</th>
                <td className="number">{formatMicros(c.providerCostMicros, c.currency)}</td>
              </tr>
              <tr>
                <th scope="row">Margin on usage</th>
                <td className="number" data-testid={`spend-margin-${c.currency}`}>
                  {formatMicros(c.marginMicros, c.currency)}
                </td>
              </tr>
            </tbody>
          </table>
        ))
      )}
    </article>
  );
}
