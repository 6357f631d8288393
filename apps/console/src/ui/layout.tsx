import type { ReactNode } from 'react';
import { Link, navigate, usePath } from '../router';

export interface NavItem {
  to: string;
  label: string;
}

/** The frame of every signed-in page: a skip link, the navigation, who is signed in, and the page. */
export function Layout(props: { nav: NavItem[]; who: string; onLogout: () => Promise<void>; children: ReactNode }) {
  const path = usePath();
  const logout = async () => {
    await props.onLogout();
    navigate(path.startsWith('/app') ? '/app/login' : '/login', { replace: true });
  };
  return (
    <div className="frame">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header>
        <span className="brand">Paddock</span>
        <nav aria-label="Main">
          <ul>
            {props.nav.map((item) => (
              <li key={item.to}>
                <Link
                  to={item.to}
                  aria-current={path === item.to || path.startsWith(`${item.to}/`) ? 'page' : undefined}
                >
                  {item.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <span className="who">{props.who}</span>
        <button type="button" onClick={logout}>
          Log out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {props.children}
      </main>
    </div>
  );
}

export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p role="alert" className="error">
      {error instanceof Error ? error.message : 'Something went wrong.'}
    </p>
  );
}
