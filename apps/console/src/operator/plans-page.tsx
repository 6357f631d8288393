import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../api/http';
import type { PlanList } from '../api/operator-ops-types';
import { ErrorNote } from '../ui/layout';
import { PlanForm } from './plan-form';
import { useCanChange } from './use-can-change';

/** Plans: fee, usage terms and how many tenants are on each; create one, or edit one in place (audited). */
export default function PlansPage() {
  const canChange = useCanChange();
  const [editing, setEditing] = useState<string | null>(null);
  const plans = useQuery({ queryKey: ['plans'], queryFn: () => api<PlanList>('/v1/operator/plans') });
  const plan = plans.data?.plans.find((p) => p.id === editing) ?? null;
  return (
    <section aria-labelledby="plans-title">
      <h1 id="plans-title">Plans</h1>
      <ErrorNote error={plans.error} />
      {plans.data && (
        <table>
          <caption className="visually-hidden">Plans in their display order</caption>
          <thead>
            <tr>
              <th scope="col">Plan</th>
              <th scope="col">Monthly fee</th>
              <th scope="col">Provider</th>
              <th scope="col">Included usage</th>
              <th scope="col">Markups (usage / box hours)</th>
              <th scope="col">Tenants</th>
              <th scope="col">State</th>
              {canChange && <th scope="col">Edit</th>}
            </tr>
          </thead>
          <tbody>
            {plans.data.plans.map((p) => (
              <tr key={p.id} data-testid="plan-row">
                <td>
                  {p.name}
                  <div className="muted">{p.code}</div>
                </td>
                <td>
                  {p.currency} {(p.priceMinor / 100).toFixed(2)}
                </td>
                <td>{p.serverType ? `${p.provider} ${p.serverType}` : p.provider}</td>
                <td>{p.includedUsageMicros} micros</td>
                <td>
                  {p.usageMarkupBps / 100}% / {p.boxHourMarkupBps / 100}%
                </td>
                <td className="number">{p.tenants}</td>
                <td>{p.active ? 'active' : 'hidden from signup'}</td>
                {canChange && (
                  <td>
                    <button type="button" aria-label={`Edit ${p.name}`} onClick={() => setEditing(p.id)}>
                      Edit
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {canChange && plan && <PlanForm key={plan.id} plan={plan} onDone={() => setEditing(null)} />}
      {canChange && !plan && <PlanForm key="new" plan={null} onDone={() => undefined} />}
    </section>
  );
}
