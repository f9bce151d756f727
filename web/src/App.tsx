// The console's frame: navigation, the time range, the token prompt, and the page the URL names.

import { lazy, Suspense, useEffect, useState, type ComponentType, type LazyExoticComponent } from 'react';
import { TimePicker } from './components/TimePicker';
import { Loading } from './components/State';
import { TokenDialog } from './components/TokenDialog';
import { Link, pageHref, useLocation } from './lib/url';
import { Overview } from './pages/Overview';

interface Page {
  path: string;
  title: string;
  component: ComponentType | LazyExoticComponent<ComponentType>;
  /** Whether the page works over the time range. */
  ranged: boolean;
}

export const PAGES: Page[] = [
  { path: '/', title: 'Overview', component: Overview, ranged: true },
  { path: '/search', title: 'Search', component: lazy(() => import('./pages/Search')), ranged: true },
  { path: '/explore', title: 'Explore', component: lazy(() => import('./pages/Explore')), ranged: true },
  { path: '/bandwidth', title: 'Bandwidth', component: lazy(() => import('./pages/Bandwidth')), ranged: true },
  { path: '/diagnose', title: 'Diagnose', component: lazy(() => import('./pages/Diagnose')), ranged: true },
  { path: '/security', title: 'Security', component: lazy(() => import('./pages/Security')), ranged: true },
  { path: '/policies', title: 'Policies', component: lazy(() => import('./pages/Policies')), ranged: true },
  { path: '/flowlogs', title: 'Flow logs', component: lazy(() => import('./pages/FlowLogs')), ranged: false },
  { path: '/inventory', title: 'Inventory', component: lazy(() => import('./pages/Inventory')), ranged: true },
];

function NotFound() {
  return (
    <div className="state state-empty">
      There is no page here. <Link href="/">Go to the overview</Link>.
    </div>
  );
}

export function App() {
  const { path } = useLocation();
  const page = PAGES.find((p) => p.path === path);
  const [menuOpen, setMenuOpen] = useState(false);
  const title = page?.title ?? 'Not found';
  useEffect(() => {
    document.title = `${title} · flowlogs`;
    setMenuOpen(false);
  }, [title]);
  const Current = page?.component ?? NotFound;
  return (
    <div className={`shell ${menuOpen ? 'menu-open' : ''}`}>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <button type="button" className="menu-button" aria-expanded={menuOpen} aria-controls="nav" onClick={() => setMenuOpen(!menuOpen)}>
          <span aria-hidden="true">☰</span>
          <span className="sr-only">Menu</span>
        </button>
        <Link href={pageHref('/')} className="brand">
          flowlogs
        </Link>
        <h1 className="page-title">{title}</h1>
        {page?.ranged && <TimePicker />}
      </header>
      <nav id="nav" className="nav" aria-label="Pages">
        <ul>
          {PAGES.map((p) => (
            <li key={p.path}>
              <Link href={pageHref(p.path)} aria-current={p.path === path ? 'page' : undefined}>
                {p.title}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" className="main" tabIndex={-1}>
        <Suspense fallback={<Loading label="Loading the page…" />}>
          <Current />
        </Suspense>
      </main>
      <TokenDialog />
    </div>
  );
}
