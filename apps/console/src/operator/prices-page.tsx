import { useQuery } from '@tanstack/react-query';
import { api } from '../api/http';
import type { ModelPriceList, ServerTypePriceList } from '../api/operator-ops-types';
import { ErrorNote } from '../ui/layout';
import { ModelPriceForm } from './model-price-form';
import { ModelPrices } from './model-prices';
import { ServerTypePrices } from './server-type-prices';
import { UnpricedUsageTable } from './unpriced-usage';
import { useCanChange } from './use-can-change';

/**
 * The price book: every version of every model's and server type's prices (never edited once used: a new version
 * supersedes it), adding a version, and the usage no price covers yet.
 */
export default function PricesPage() {
  const canChange = useCanChange();
  const models = useQuery({
    queryKey: ['model-prices'],
    queryFn: () => api<ModelPriceList>('/v1/operator/billing/model-prices'),
  });
  const servers = useQuery({
    queryKey: ['server-type-prices'],
    queryFn: () => api<ServerTypePriceList>('/v1/operator/billing/server-type-prices'),
  });
  return (
    <section aria-labelledby="prices-title">
      <h1 id="prices-title">Price book</h1>
      <ErrorNote error={models.error ?? servers.error} />
      <h2 id="model-prices-title">Model prices</h2>
      {models.data && <ModelPrices prices={models.data.prices} canChange={canChange} />}
      {canChange && <ModelPriceForm />}
      <h2 id="server-prices-title">Server-type prices</h2>
      {servers.data && <ServerTypePrices prices={servers.data.prices} canChange={canChange} />}
      <UnpricedUsageTable />
    </section>
  );
}
