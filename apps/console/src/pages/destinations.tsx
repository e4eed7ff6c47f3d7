import { api, type Health } from '../api.ts';
import { useViewer } from '../app-context.ts';
import { href } from '../router.ts';
import { Badge, ErrorNote, Pager, Section, usePages } from '../ui.tsx';

/** Destinations with their status and, when the API reports it, their health. */
export function DestinationsPage() {
  const viewer = useViewer();
  const list = usePages((cursor) => api.destinations.list(cursor), []);
  return (
    <Section
      title="Destinations"
      actions={
        <a className="button" href={href('destinations', 'new')}>
          New destination
        </a>
      }
    >
      <ErrorNote error={list.error} />
      {list.data?.data.length === 0 && <p>No destinations yet.</p>}
      <table>
        <thead>
          <tr>
            <th>Name</th>
            <th>Type</th>
            {viewer.kind !== 'customer' && <th>Customer</th>}
            <th>Status</th>
            <th>Health</th>
          </tr>
        </thead>
        <tbody>
          {list.data?.data.map((destination) => (
            <tr key={destination.id}>
              <td>
                <a href={href('destinations', destination.id)}>{destination.name}</a>
              </td>
              <td>{destination.type}</td>
              {viewer.kind !== 'customer' && <td className="mono">{destination.customerExternalId}</td>}
              <td>
                <Badge value={destination.status} />
              </td>
              <td>
                <HealthBadge health={destination.health} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager pageNumber={list.pageNumber} next={list.next} previous={list.previous} />
    </Section>
  );
}

function HealthBadge(props: { health: Health | undefined }) {
  if (!props.health) return <span className="muted">—</span>;
  return (
    <span title={props.health.detail ?? ''}>
      <Badge value={props.health.state} />
    </span>
  );
}
