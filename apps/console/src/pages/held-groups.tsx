import { useState } from 'react';
import { api, type DlqEntry } from '../api.ts';
import { ErrorNote, Pager, usePages, When } from '../ui.tsx';

/**
 * A FIFO destination's groups held behind a dead message (fifo.onDeadLetter "hold"): one row
 * per dead entry that holds its group, with how many messages wait behind it. Replay sends the
 * dead message first, in its original turn, then the group; discard lets the group go on without it.
 */
export function HeldGroups(props: { destinationId: string; onDeadLetter: 'skip' | 'hold' }) {
  const held = usePages(
    (cursor) => api.dlq.list({ destinationId: props.destinationId, holdsGroup: 'true' }, cursor),
    [props.destinationId],
  );
  const [error, setError] = useState<unknown>();
  const act = (action: Promise<unknown>) => action.then(held.reload, setError);
  const discard = (entry: DlqEntry) => {
    const question = `Discard this ${entry.eventType} message? Its group goes on without it (${entry.waitingBehind} waiting).`;
    if (window.confirm(question)) act(api.dlq.discard(entry.id));
  };
  const policy =
    props.onDeadLetter === 'hold'
      ? 'A group whose message dies waits for it: replay the message (sent first, in its turn) or discard it.'
      : 'A group whose message dies goes on without it (fifo.onDeadLetter "skip").';
  if (held.error) return <ErrorNote error={held.error} />;
  if (!held.data) return <p aria-busy="true">Loading held groups…</p>;
  const entries = held.data.data;
  return (
    <>
      <p className="muted">{policy}</p>
      <ErrorNote error={error} />
      {entries.length === 0 ? (
        <p className="muted">No group is held.</p>
      ) : (
        <table aria-label="Held groups">
          <thead>
            <tr>
              <th>Dead message</th>
              <th>Reason</th>
              <th>Last error</th>
              <th>Waiting behind it</th>
              <th>Dead since</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {entries.map((entry) => (
              <tr key={entry.id}>
                <td className="mono">{entry.eventType}</td>
                <td>{entry.reason}</td>
                <td>{entry.lastError ? `${entry.lastError.code}: ${entry.lastError.message}` : ''}</td>
                <td data-testid="waiting-behind">{entry.waitingBehind}</td>
                <td>
                  <When at={entry.createdAt} />
                </td>
                <td className="toolbar">
                  <button type="button" onClick={() => act(api.dlq.replay(entry.id))}>
                    Replay first
                  </button>
                  <button type="button" className="danger" onClick={() => discard(entry)}>
                    Discard
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager pageNumber={held.pageNumber} next={held.next} previous={held.previous} />
    </>
  );
}
