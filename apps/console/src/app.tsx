import { lazy, Suspense } from 'react';
import { useLogin, useLogout, useSession } from './api/session';
import { useSessionExpiry } from './api/session-expiry';
import { match, navigate, usePath, useSearch } from './router';
import { Layout, type NavItem } from './ui/layout';
import { LoginForm } from './ui/login-form';
import { OPS_NAV, opsPage } from './operator/ops-routes';

// Each page is its own chunk: the login page loads only what it needs.
const OverviewPage = lazy(() => import('./operator/overview-page'));
const TenantsPage = lazy(() => import('./operator/tenants-page'));
const TenantPage = lazy(() => import('./operator/tenant-page'));
const RolloutsPage = lazy(() => import('./operator/rollouts-page'));
const InboxPage = lazy(() => import('./workspace/inbox-page'));
const AccountsPage = lazy(() => import('./operator/accounts-page'));
const AuditPage = lazy(() => import('./operator/audit-page'));
const AcceptPage = lazy(() => import('./operator/accept-page'));
const RunsPage = lazy(() => import('./workspace/runs-page'));
const RunPage = lazy(() => import('./workspace/run-page'));
const ChainsPage = lazy(() => import('./workspace/chains-page'));
const ChainPage = lazy(() => import('./workspace/chain-page'));
const SecretsPage = lazy(() => import('./workspace/secrets-page'));
const ApiKeysPage = lazy(() => import('./workspace/api-keys-page'));
const MembersPage = lazy(() => import('./workspace/members-page'));
const InvoicesPage = lazy(() => import('./workspace/invoices-page'));
const UsagePage = lazy(() => import('./workspace/usage-page'));

const OPERATOR_NAV: NavItem[] = [
  { to: '/overview', label: 'Overview' },
  { to: '/tenants', label: 'Tenants' },
  { to: '/rollouts', label: 'Rollouts' },
  ...OPS_NAV,
  { to: '/accounts', label: 'Accounts' },
  { to: '/audit', label: 'Audit log' },
];
const SESSION_ENDED = 'Your session has ended. Log in again to go on where you were.';
const WORKSPACE_NAV: NavItem[] = [
  { to: '/app/inbox', label: 'Decisions' },
  { to: '/app/runs', label: 'Runs' },
  { to: '/app/chains', label: 'Chains' },
  { to: '/app/usage', label: 'Usage' },
  { to: '/app/invoices', label: 'Invoices' },
  { to: '/app/secrets', label: 'Secrets' },
  { to: '/app/api-keys', label: 'API keys' },
  { to: '/app/members', label: 'Members' },
];

export function App() {
  const path = usePath();
  // Redeeming an invite or reset link needs no session (and must work while someone else is signed in).
  if (path === '/accept') {
    return (
      <Suspense fallback={<p className="loading">Loading…</p>}>
        <AcceptPage />
      </Suspense>
    );
  }
  return path === '/app' || path.startsWith('/app/') ? <WorkspaceArea path={path} /> : <OperatorArea path={path} />;
}

function OperatorArea({ path }: { path: string }) {
  const session = useSession('operator');
  const login = useLogin('operator');
  const logout = useLogout('operator');
  const [expired, clearExpired] = useSessionExpiry('operator');
  const welcome = useSearch().has('welcome');
  if (session.isPending) return <p className="loading">Loading…</p>;
  const operator = session.data && 'operator' in session.data ? session.data.operator : null;
  if (!operator) {
    return (
      <LoginForm
        title="Paddock operator console"
        notice={expired ? SESSION_ENDED : welcome ? 'Your password is set: log in with it.' : undefined}
        onLogin={async (email, password) => {
          await login(email, password);
          clearExpired();
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
        {path === '/accounts' && <AccountsPage />}
        {path === '/audit' && <AuditPage />}
        {ops}
        {!['/overview', '/tenants', '/rollouts', '/accounts', '/audit'].includes(path) && !tenant && !ops && (
          <NotFound />
        )}
      </Suspense>
    </Layout>
  );
}

function WorkspaceArea({ path }: { path: string }) {
  const session = useSession('workspace');
  const login = useLogin('workspace');
  const logout = useLogout('workspace');
  const [expired, clearExpired] = useSessionExpiry('workspace');
  if (session.isPending) return <p className="loading">Loading…</p>;
  const caller = session.data && 'caller' in session.data ? session.data.caller : null;
  if (!caller) {
    return (
      <LoginForm
        title="Log in to your workspace"
        notice={expired ? SESSION_ENDED : undefined}
        onLogin={async (email, password) => {
          await login(email, password);
          clearExpired();
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
        <WorkspacePage path={path} />
      </Suspense>
    </Layout>
  );
}

/** The workspace's pages by path (one chunk each). */
function WorkspacePage({ path }: { path: string }) {
  const run = match('/app/runs/:id', path);
  if (run?.id) return <RunPage key={run.id} id={run.id} />;
  const chain = match('/app/chains/:id', path);
  if (chain?.id) return <ChainPage key={chain.id} id={chain.id} />;
  switch (path) {
    case '/app/inbox':
      return <InboxPage />;
    case '/app/runs':
      return <RunsPage />;
    case '/app/chains':
      return <ChainsPage />;
    case '/app/usage':
      return <UsagePage />;
    case '/app/invoices':
      return <InvoicesPage />;
    case '/app/secrets':
      return <SecretsPage />;
    case '/app/api-keys':
      return <ApiKeysPage />;
    case '/app/members':
      return <MembersPage />;
    default:
      return <NotFound />;
  }
}

function NotFound() {
  return (
    <section>
      <h1>Not found</h1>
      <p>There is no page at this address.</p>
    </section>
  );
}
