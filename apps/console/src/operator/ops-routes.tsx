import { lazy, type ReactElement } from 'react';
import { match } from '../router';
import type { NavItem } from '../ui/layout';

// The fleet, billing and jobs pages, each its own chunk.
const BoxesPage = lazy(() => import('./boxes-page'));
const BoxPage = lazy(() => import('./box-page'));
const HostsPage = lazy(() => import('./hosts-page'));
const PricesPage = lazy(() => import('./prices-page'));
const PlansPage = lazy(() => import('./plans-page'));
const InvoicesPage = lazy(() => import('./invoices-page'));
const JobsPage = lazy(() => import('./jobs-page'));
const WorkflowsPage = lazy(() => import('./workflows-page'));

export const OPS_NAV: NavItem[] = [
  { to: '/boxes', label: 'Boxes' },
  { to: '/hosts', label: 'Hosts' },
  { to: '/billing/prices', label: 'Prices' },
  { to: '/billing/plans', label: 'Plans' },
  { to: '/billing/invoices', label: 'Invoices' },
  { to: '/jobs', label: 'Jobs' },
  { to: '/workflows', label: 'Workflows' },
];

const PAGES: Record<string, () => ReactElement> = {
  '/boxes': () => <BoxesPage />,
  '/hosts': () => <HostsPage />,
  '/billing/prices': () => <PricesPage />,
  '/billing/plans': () => <PlansPage />,
  '/billing/invoices': () => <InvoicesPage />,
  '/jobs': () => <JobsPage />,
  '/workflows': () => <WorkflowsPage />,
};

/** The page of one of these paths, or null when the path is not one of them. */
export function opsPage(path: string): ReactElement | null {
  const page = PAGES[path];
  if (page) return page();
  const box = match('/boxes/:id', path);
  return box?.id ? <BoxPage id={box.id} /> : null;
}
