import type { ReactNode } from 'react';
import { useViewer } from './app-context.ts';
import { DestinationPage } from './pages/destination-detail.tsx';
import { DestinationForm } from './pages/destination-form.tsx';
import { DestinationsPage } from './pages/destinations.tsx';
import { DlqPage } from './pages/dlq.tsx';
import { EventsPage } from './pages/events.tsx';
import { MessagesPage } from './pages/messages.tsx';
import { OverviewPage } from './pages/overview.tsx';
import { TenantsPage } from './pages/tenants.tsx';
import { href, type Route } from './router.ts';

/** The pages each viewer has, in the order of the navigation. */
function pagesFor(kind: 'operator' | 'tenant' | 'customer') {
  if (kind === 'operator')
    return [
      ['overview', 'Overview'],
      ['tenants', 'Tenants and keys'],
      ['dlq', 'Dead letters'],
    ] as const;
  if (kind === 'customer')
    return [
      ['overview', 'Overview'],
      ['destinations', 'Destinations'],
      ['dlq', 'Dead letters'],
    ] as const;
  return [
    ['overview', 'Overview'],
    ['destinations', 'Destinations'],
    ['dlq', 'Dead letters'],
    ['events', 'Events'],
  ] as const;
}

export function Shell(props: { route: Route; title: string; who: string; onSignOut?: () => void }) {
  const viewer = useViewer();
  const pages = pagesFor(viewer.kind);
  const section = props.route.parts[0] ?? 'overview';
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">{props.title}</span>
        <nav aria-label="Main">
          {pages.map(([path, label]) => (
            <a key={path} href={href(path)} aria-current={section === path ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <span className="who">{props.who}</span>
        {props.onSignOut && (
          <button type="button" onClick={props.onSignOut}>
            Sign out
          </button>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        {page(props.route, viewer.kind)}
      </main>
    </div>
  );
}

function page(route: Route, kind: 'operator' | 'tenant' | 'customer'): ReactNode {
  const [section, id, sub] = route.parts;
  if (section === 'tenants' && kind === 'operator') return <TenantsPage />;
  if (section === 'dlq') return <DlqPage />;
  if (section === 'events' && kind === 'tenant') return <EventsPage />;
  if (section === 'destinations' && kind !== 'operator') {
    if (id === 'new') return <DestinationForm />;
    if (id && sub === 'messages') return <MessagesPage destinationId={id} />;
    if (id) return <DestinationPage id={id} editing={route.query.has('edit')} setupOpen={route.query.has('setup')} />;
    return <DestinationsPage />;
  }
  return <OverviewPage />;
}
