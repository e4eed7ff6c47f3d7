import { useState } from 'react';
import { api } from '../api.ts';
import { useViewer } from '../app-context.ts';
import { href } from '../router.ts';
import { Badge, ErrorNote, Pager, Section, useLoad, usePages, When } from '../ui.tsx';

const tabs = [
  { status: 'pending', label: 'In flight and failing' },
  { status: 'delivered', label: 'Delivered' },
  { status: 'dead', label: 'Dead' },
] as const;

/** A destination's messages by state; each opens its attempt log and event. */
export function MessagesPage(props: { destinationId: string }) {
  const [status, setStatus] = useState<(typeof tabs)[number]['status']>('pending');
  const [openId, setOpenId] = useState<string>();
  const destination = useLoad(() => api.destinations.get(props.destinationId), [props.destinationId]);
  const list = usePages(
    (cursor) => api.deliveries.list({ destinationId: props.destinationId, status, cursor }),
    [props.destinationId, status],
  );
  return (
    <>
      <Section
        title={`Messages of ${destination.data?.name ?? 'destination'}`}
        actions={
          <div className="toolbar">
            <a className="button" href={href('destinations', props.destinationId)}>
              Destination
            </a>
            <button type="button" onClick={list.reload}>
              Refresh
            </button>
          </div>
        }
      >
        <div role="tablist" aria-label="Message state" className="tabs">
          {tabs.map((tab) => (
            <button
              key={tab.status}
              type="button"
              role="tab"
              aria-selected={status === tab.status}
              onClick={() => setStatus(tab.status)}
            >
              {tab.label}
            </button>
          ))}
        </div>
        <ErrorNote error={list.error} />
        <table aria-label={`${status} messages`}>
          <thead>
            <tr>
              <th>Delivery</th>
              <th>Event</th>
              <th>Attempts</th>
              <th>{status === 'delivered' ? 'Delivered' : 'Next try'}</th>
              <th>Last error</th>
            </tr>
          </thead>
          <tbody>
            {list.data?.data.map((delivery) => (
              <tr key={delivery.id} className={delivery.lastError && status === 'pending' ? 'failing' : undefined}>
                <td>
                  <button type="button" className="link mono" onClick={() => setOpenId(delivery.id)}>
                    {delivery.id.slice(-12)}
                  </button>
                </td>
                <td className="mono">{delivery.eventId.slice(-12)}</td>
                <td>{delivery.attempts}</td>
                <td>
                  <When at={status === 'delivered' ? delivery.deliveredAt : delivery.nextAttemptAt} />
                </td>
                <td>{delivery.lastError ? `${delivery.lastError.code}: ${delivery.lastError.message}` : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {list.data?.data.length === 0 && <p>No {status} messages.</p>}
        <Pager pageNumber={list.pageNumber} next={list.next} previous={list.previous} />
      </Section>
      {openId && <DeliveryDetail key={openId} id={openId} />}
    </>
  );
}

function DeliveryDetail(props: { id: string }) {
  const viewer = useViewer();
  const delivery = useLoad(() => api.deliveries.get(props.id), [props.id]);
  const event = useLoad(
    // Portal tokens do not read events; the customer sees the event in dead-letter entries.
    () =>
      viewer.kind === 'customer' || !delivery.data ? Promise.resolve(undefined) : api.events.get(delivery.data.eventId),
    [delivery.data?.eventId, viewer.kind],
  );
  const data = delivery.data;
  return (
    <Section title={`Delivery ${props.id}`}>
      <ErrorNote error={delivery.error ?? event.error} />
      {data && (
        <>
          <p>
            <Badge value={data.status} /> after {data.attempts} attempt(s)
          </p>
          <table aria-label="Attempt log">
            <thead>
              <tr>
                <th>#</th>
                <th>At</th>
                <th>Duration</th>
                <th>Outcome</th>
                <th>Error</th>
              </tr>
            </thead>
            <tbody>
              {data.attemptLog.map((attempt) => (
                <tr key={`${attempt.n}-${attempt.at}`}>
                  <td>{attempt.n}</td>
                  <td>
                    <When at={attempt.at} />
                  </td>
                  <td>{attempt.durationMs} ms</td>
                  <td>
                    <Badge value={attempt.outcome} />
                  </td>
                  <td>{attempt.errorCode ? `${attempt.errorCode}: ${attempt.errorMessage ?? ''}` : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {event.data && (
        <>
          <h3>Event {event.data.eventType}</h3>
          <pre>{JSON.stringify(event.data, null, 2)}</pre>
        </>
      )}
    </Section>
  );
}
