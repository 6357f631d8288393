import { useQuery } from '@tanstack/react-query';
import { api } from '../api/http';
import type { UnpricedUsage } from '../api/operator-ops-types';
import { ErrorNote } from '../ui/layout';

/** Usage on models no price covers, by model and month: what to add a price for (then it is rated). */
export function UnpricedUsageTable() {
  const unpriced = useQuery({
    queryKey: ['unpriced'],
    queryFn: () => api<UnpricedUsage>('/v1/operator/billing/unpriced'),
  });
  return (
    <>
      <h2 id="unpriced-title">Unpriced usage</h2>
      <ErrorNote error={unpriced.error} />
      {unpriced.data &&
        (unpriced.data.groups.length === 0 ? (
          <p>Every usage event has a price.</p>
        ) : (
          <table aria-labelledby="unpriced-title">
            <thead>
              <tr>
                <th scope="col">Model</th>
                <th scope="col">Month</th>
                <th scope="col">Events</th>
                <th scope="col">Tokens in / out</th>
                <th scope="col">Tenants</th>
                <th scope="col">Boxes reported (not billed)</th>
              </tr>
            </thead>
            <tbody>
              {unpriced.data.groups.map((g) => (
                <tr key={`${g.model}|${g.month}`}>
                  <td>{g.model ?? '(no model)'}</td>
                  <td>{g.month}</td>
                  <td className="number">{g.events}</td>
                  <td className="number">
                    {g.tokensIn} / {g.tokensOut}
                  </td>
                  <td className="number">{g.tenants}</td>
                  <td className="number">{g.reportedCostMicros} micros</td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
    </>
  );
}
