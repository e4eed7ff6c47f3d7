import { type FormEvent, useState } from 'react';
import { api, type EventWithDeliveries } from '../api.ts';
import { href } from '../router.ts';
import { ErrorNote, Field, Pager, Section, usePages, When } from '../ui.tsx';

/** Look an event up by id or idempotency key, or list them by customer and type. */
export function EventsPage() {
  const [lookup, setLookup] = useState('');
  const [found, setFound] = useState<EventWithDeliveries>();
  const [lookupError, setLookupError] = useState<unknown>();
  const [draft, setDraft] = useState({ customerExternalId: '', eventType: '' });
  const [filters, setFilters] = useState(draft);
  const list = usePages(
    (cursor) => api.events.list({ ...filters, cursor }),
    [filters.customerExternalId, filters.eventType],
  );

  const find = async (event: FormEvent) => {
    event.preventDefault();
    setLookupError(undefined);
    setFound(undefined);
    try {
      const byKey = await api.events.list({ idempotencyKey: lookup });
      const match = byKey.data[0] ? await api.events.get(byKey.data[0].id) : await api.events.get(lookup);
      setFound(match);
    } catch (error) {
      setLookupError(error);
    }
  };
  return (
    <>
      <Section title="Find an event">
        <form className="inline-form" onSubmit={find} aria-label="Find an event">
          <Field label="Event id or idempotency key" name="lookup" value={lookup} onChange={setLookup} />
          <button type="submit" disabled={!lookup}>
            Find
          </button>
        </form>
        <ErrorNote error={lookupError} />
        {found && (
          <>
            <h3>Deliveries</h3>
            <ul>
              {found.deliveries.map((delivery) => (
                <li key={delivery.id}>
                  <a href={href('destinations', delivery.destinationId, 'messages')}>{delivery.destinationId}</a>:{' '}
                  {delivery.status}
                </li>
              ))}
            </ul>
            <pre>{JSON.stringify(found, null, 2)}</pre>
          </>
        )}
      </Section>
      <Section title="Events">
        <form
          className="filters"
          aria-label="Event filters"
          onSubmit={(event) => {
            event.preventDefault();
            setFilters({ ...draft });
          }}
        >
          <Field
            label="Customer"
            name="customerExternalId"
            value={draft.customerExternalId}
            onChange={(v) => setDraft({ ...draft, customerExternalId: v })}
          />
          <Field
            label="Event type"
            name="eventType"
            value={draft.eventType}
            onChange={(v) => setDraft({ ...draft, eventType: v })}
          />
          <button type="submit">Apply filters</button>
        </form>
        <ErrorNote error={list.error} />
        <table aria-label="Events">
          <thead>
            <tr>
              <th>Type</th>
              <th>Customer</th>
              <th>Idempotency key</th>
              <th>Received</th>
            </tr>
          </thead>
          <tbody>
            {list.data?.data.map((event) => (
              <tr key={event.id}>
                <td>{event.eventType}</td>
                <td className="mono">{event.customerExternalId}</td>
                <td className="mono">{event.idempotencyKey}</td>
                <td>
                  <When at={event.receivedAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <Pager pageNumber={list.pageNumber} next={list.next} previous={list.previous} />
      </Section>
    </>
  );
}
