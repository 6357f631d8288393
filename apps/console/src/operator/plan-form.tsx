import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { FormEvent } from 'react';
import { api } from '../api/http';
import type { Plan } from '../api/operator-ops-types';
import { ErrorNote } from '../ui/layout';

/**
 * Creates a plan, or edits one (`plan` given). The code is a plan's stable name at signup, so it is set only at
 * creation. Limits are not edited here: an edit that leaves them out keeps them.
 */
export function PlanForm({ plan, onDone }: { plan: Plan | null; onDone: () => void }) {
  const client = useQueryClient();
  const save = useMutation({
    mutationFn: (body: Record<string, unknown>) =>
      plan
        ? api<Plan>(`/v1/operator/plans/${encodeURIComponent(plan.id)}`, { method: 'PATCH', body })
        : api<Plan>('/v1/operator/plans', { method: 'POST', body }),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['plans'] });
      onDone();
    },
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const serverType = String(form.get('serverType') ?? '').trim();
    const body: Record<string, unknown> = {
      name: String(form.get('name') ?? '').trim(),
      priceMinor: Math.round(Number(form.get('fee')) * 100),
      currency: String(form.get('currency') ?? 'USD'),
      provider: String(form.get('provider')),
      serverType: serverType || null,
      includedUsageMicros: Number(form.get('included')),
      usageMarkupBps: Math.round(Number(form.get('usageMarkup')) * 100),
      boxHourMarkupBps: Math.round(Number(form.get('boxMarkup')) * 100),
    };
    if (plan) body.active = form.get('active') === 'on';
    else body.code = String(form.get('code') ?? '').trim();
    save.mutate(body);
  };
  const id = plan ? `edit-${plan.id}` : 'new';
  return (
    <form className="filters card" aria-labelledby={`${id}-title`} onSubmit={submit}>
      <h2 id={`${id}-title`}>{plan ? `Edit ${plan.name}` : 'Create a plan'}</h2>
      {!plan && (
        <>
          <label htmlFor={`${id}-code`}>Code</label>
          <input id={`${id}-code`} name="code" required pattern="[a-z0-9][a-z0-9\-]{0,63}" />
        </>
      )}
      <label htmlFor={`${id}-name`}>Name</label>
      <input id={`${id}-name`} name="name" required maxLength={200} defaultValue={plan?.name ?? ''} />
      <label htmlFor={`${id}-fee`}>Monthly fee</label>
      <input
        id={`${id}-fee`}
        name="fee"
        type="number"
        min={0}
        step="0.01"
        required
        defaultValue={plan ? (plan.priceMinor / 100).toFixed(2) : '0.00'}
      />
      <label htmlFor={`${id}-currency`}>Currency</label>
      <input
        id={`${id}-currency`}
        name="currency"
        required
        pattern="[A-Z]{3}"
        size={4}
        defaultValue={plan?.currency ?? 'USD'}
      />
      <label htmlFor={`${id}-provider`}>Provider</label>
      <select id={`${id}-provider`} name="provider" defaultValue={plan?.provider ?? 'hetzner'}>
        <option value="hetzner">hetzner</option>
        <option value="byo">byo</option>
        <option value="local">local</option>
      </select>
      <label htmlFor={`${id}-server-type`}>Server type</label>
      <input id={`${id}-server-type`} name="serverType" maxLength={64} defaultValue={plan?.serverType ?? ''} />
      <label htmlFor={`${id}-included`}>Included usage (micros)</label>
      <input
        id={`${id}-included`}
        name="included"
        type="number"
        min={0}
        step={1}
        defaultValue={plan?.includedUsageMicros ?? 0}
      />
      <label htmlFor={`${id}-usage-markup`}>Usage markup %</label>
      <input
        id={`${id}-usage-markup`}
        name="usageMarkup"
        type="number"
        min={0}
        max={1000}
        step="0.01"
        defaultValue={plan ? plan.usageMarkupBps / 100 : 0}
      />
      <label htmlFor={`${id}-box-markup`}>Box-hour markup %</label>
      <input
        id={`${id}-box-markup`}
        name="boxMarkup"
        type="number"
        min={0}
        max={1000}
        step="0.01"
        defaultValue={plan ? plan.boxHourMarkupBps / 100 : 0}
      />
      {plan && (
        <label>
          <input name="active" type="checkbox" defaultChecked={plan.active} /> Offered at signup
        </label>
      )}
      <button type="submit" disabled={save.isPending}>
        {plan ? 'Save plan' : 'Create plan'}
      </button>
      {plan && (
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      )}
      <ErrorNote error={save.error} />
    </form>
  );
}
