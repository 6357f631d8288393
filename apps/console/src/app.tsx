import { lazy, Suspense } from 'react';
import { useLogin, useLogout, useSession } from './api/session';
import { match, navigate, usePath } from './router';
import { Layout, type NavItem } from './ui/layout';
import { LoginForm } from './ui/login-form';
import { OPS_NAV, opsPage } from './operator/ops-routes';

// Each page is its own chunk: the login page loads only what it needs.
const OverviewPage = lazy(() => import('./operator/overview-page'));
const TenantsPage = lazy(() => import('./operator/tenants-page'));
const TenantPage = lazy(() => import('./operator/tenant-page'));
const RolloutsPage = lazy(() => import('./operator/rollouts-page'));
const InboxPage = lazy(() => import('./workspace/inbox-page'));

const OPERATOR_NAV: NavItem[] = [
  { to: '/overview', label: 'Overview' },
  { to: '/tenants', label: 'Tenants' },
  { to: '/rollouts', label: 'Rollouts' },
  ...OPS_NAV,
];
const WORKSPACE_NAV: NavItem[] = [{ to: '/app/inbox', label: 'Decisions' }];

export function App() {
  const path = usePath();
  return path === '/app' || path.startsWith('/app/') ? <WorkspaceArea path={path} /> : <OperatorArea path={path} />;
}

function OperatorArea({ path }: { path: string }) {
  const session = useSession('operator');
  const login = useLogin('operator');
  const logout = useLogout('operator');
  if (session.isPending) return <p className="loading">Loading…</p>;
  const operator = session.data && 'operator' in session.data ? session.data.operator : null;
  if (!operator) {
    return (
      <LoginForm
        title="Paddock operator console"
        onLogin={async (email, password) => {
          await login(email, password);
          if (path === '/' || path === '/login') navigate('/overview', { replace: true });
        }}
      />
    );
  }
  if (path === '/' || path === '/login') {
    navigate('/overview', { replace: true });
    return null;
  }
  const tenant = match('/tenants/:id', path);
  const ops = opsPage(path);
  return (
    <Layout nav={OPERATOR_NAV} who={operator.email} onLogout={logout}>
      <Suspense fallback={<p className="loading">Loading…</p>}>
        {path === '/overview' && <OverviewPage />}
        {path === '/tenants' && <TenantsPage />}
        {tenant?.id && <TenantPage id={tenant.id} />}
        {path === '/rollouts' && <RolloutsPage />}
        {ops}
        {!['/overview', '/tenants', '/rollouts'].includes(path) && !tenant && !ops && <NotFound />}
      </Suspense>
    </Layout>
  );
}

function WorkspaceArea({ path }: { path: string }) {
  const session = useSession('workspace');
  const login = useLogin('workspace');
  const logout = useLogout('workspace');
  if (session.isPending) return <p className="loading">Loading…</p>;
  const caller = session.data && 'caller' in session.data ? session.data.caller : null;
  if (!caller) {
    return (
      <LoginForm
        title="Log in to your workspace"
        onLogin={async (email, password) => {
          await login(email, password);
          if (path === '/app' || path === '/app/login') navigate('/app/inbox', { replace: true });
        }}
      />
    );
  }
  if (path === '/app' || path === '/app/login') {
    navigate('/app/inbox', { replace: true });
    return null;
  }
  const who = `${caller.user?.email ?? 'API key'} · ${caller.tenant.name}`;
  return (
    <Layout nav={WORKSPACE_NAV} who={who} onLogout={logout}>
      <Suspense fallback={<p className="loading">Loading…</p>}>
        {path === '/app/inbox' ? <InboxPage /> : <NotFound />}
      </Suspense>
    </Layout>
  );
}

function NotFound() {
  return (
    <section>
      <h1>Not found</h1>
      <p>There is no page at this address.</p>
    </section>
  );
}
