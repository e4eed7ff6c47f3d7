import { type FormEvent, useEffect, useState } from 'react';
import { api, type BulkReplay, type DlqFilters } from '../api.ts';
import { useViewer } from '../app-context.ts';
import { ErrorNote, Field, Pager, Section, usePages, When } from '../ui.tsx';

// The reasons this API's document names (a reason it does not know is a 400).
const reasons = [
  'permanent_error',
  'retries_exhausted',
  'payload_too_large',
  'destination_deleted',
  'transform_failed',
] as const satisfies readonly NonNullable<DlqFilters['reason']>[];

interface Progress {
  label: string;
  total: number;
  done: number;
  failed: number;
  finished: boolean;
}

/** Dead letters: filter, select some or all matching, replay with live progress, discard with confirmation. */
export function DlqPage(props: { destinationId?: string }) {
  const viewer = useViewer();
  const [draft, setDraft] = useState<DlqFilters>({ destinationId: props.destinationId });
  const [filters, setFilters] = useState<DlqFilters>({ destinationId: props.destinationId });
  const list = usePages((cursor) => api.dlq.list(filters, cursor), [JSON.stringify(filters)]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [progress, setProgress] = useState<Progress>();
  const [bulk, setBulk] = useState<BulkReplay & { replayId: string }>();
  const [error, setError] = useState<unknown>();
  const entries = list.data?.data ?? [];

  // A bulk replay runs in the background: its progress is polled until it is done.
  useEffect(() => {
    if (!bulk || bulk.status === 'done') return;
    const timer = setTimeout(() => {
      api.dlq.replayStatus(bulk.replayId).then((status) => {
        setBulk(status);
        setProgress({
          label: 'Replaying all matching entries',
          total: status.total,
          done: status.replayed,
          failed: status.failed,
          finished: status.status === 'done',
        });
        if (status.status === 'done') list.reload();
      }, setError);
    }, 500);
    return () => clearTimeout(timer);
  }, [bulk, list.reload]);

  const apply = (event: FormEvent) => {
    event.preventDefault();
    setSelected(new Set());
    setFilters({ ...draft });
  };
  const toggle = (id: string) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  };
  const allOnPage = entries.length > 0 && entries.every((entry) => selected.has(entry.id));
  const toggleAll = () => setSelected(allOnPage ? new Set() : new Set(entries.map((entry) => entry.id)));

  /** One by one, so the bar moves with each entry. */
  async function eachSelected(label: string, action: (id: string) => Promise<unknown>) {
    const ids = [...selected];
    const state: Progress = { label, total: ids.length, done: 0, failed: 0, finished: false };
    setProgress({ ...state });
    for (const id of ids) {
      await action(id).then(
        () => state.done++,
        (failure: unknown) => {
          state.failed++;
          setError(failure);
        },
      );
      setProgress({ ...state });
    }
    setProgress({ ...state, finished: true });
    setSelected(new Set());
    list.reload();
  }

  const replayAllMatching = () => {
    const { tenantId: _ignored, ...matching } = filters;
    const body = viewer.kind === 'operator' ? filters : matching;
    api.dlq.replayMatching(body).then((started) => {
      setProgress({
        label: 'Replaying all matching entries',
        total: started.total,
        done: 0,
        failed: 0,
        finished: started.total === 0,
      });
      setBulk({
        replayId: started.replayId,
        status: started.total === 0 ? 'done' : 'running',
        total: started.total,
        replayed: 0,
        failed: 0,
      });
    }, setError);
  };
  const discardSelected = () => {
    if (!window.confirm(`Discard ${selected.size} dead letter(s)? They will not be delivered.`)) return;
    void eachSelected('Discarding', (id) => api.dlq.discard(id));
  };

  return (
    <Section title="Dead-letter queue">
      <form className="filters" onSubmit={apply} aria-label="Filters">
        {viewer.kind === 'operator' && (
          <Field
            label="Tenant id"
            name="tenantId"
            value={draft.tenantId ?? ''}
            onChange={(v) => setDraft({ ...draft, tenantId: v || undefined })}
          />
        )}
        <Field
          label="Destination id"
          name="destinationId"
          value={draft.destinationId ?? ''}
          onChange={(v) => setDraft({ ...draft, destinationId: v || undefined })}
        />
        {viewer.kind !== 'customer' && (
          <Field
            label="Customer"
            name="customerExternalId"
            value={draft.customerExternalId ?? ''}
            onChange={(v) => setDraft({ ...draft, customerExternalId: v || undefined })}
          />
        )}
        <Field
          label="Event type"
          name="eventType"
          value={draft.eventType ?? ''}
          onChange={(v) => setDraft({ ...draft, eventType: v || undefined })}
        />
        <div className="field">
          <label htmlFor="dlq-reason">Reason</label>
          <select
            id="dlq-reason"
            value={draft.reason ?? ''}
            onChange={(e) => setDraft({ ...draft, reason: reasons.find((reason) => reason === e.target.value) })}
          >
            <option value="">any</option>
            {reasons.map((reason) => (
              <option key={reason} value={reason}>
                {reason}
              </option>
            ))}
          </select>
        </div>
        <button type="submit">Apply filters</button>
      </form>
      <div className="toolbar">
        <button
          type="button"
          disabled={selected.size === 0}
          onClick={() => void eachSelected('Replaying', (id) => api.dlq.replay(id))}
        >
          Replay selected ({selected.size})
        </button>
        <button type="button" disabled={entries.length === 0} onClick={replayAllMatching}>
          Replay all matching
        </button>
        <button type="button" className="danger" disabled={selected.size === 0} onClick={discardSelected}>
          Discard selected
        </button>
      </div>
      {progress && (
        <div className="progress" role="status" aria-live="polite">
          <label htmlFor="dlq-progress">
            {progress.label}: {progress.done} of {progress.total}
            {progress.failed > 0 ? `, ${progress.failed} failed` : ''}
            {progress.finished ? ' — done' : '…'}
          </label>
          <progress
            id="dlq-progress"
            max={Math.max(progress.total, 1)}
            value={progress.finished && progress.total === 0 ? 1 : progress.done + progress.failed}
          />
        </div>
      )}
      <ErrorNote error={error ?? list.error} />
      <table aria-label="Dead letters">
        <thead>
          <tr>
            <th>
              <input type="checkbox" aria-label="Select all on this page" checked={allOnPage} onChange={toggleAll} />
            </th>
            <th>Event type</th>
            {viewer.kind !== 'customer' && <th>Customer</th>}
            <th>Reason</th>
            <th>Last error</th>
            <th>Attempts</th>
            <th>Replays</th>
            <th>Dead since</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => (
            <tr key={entry.id}>
              <td>
                <input
                  type="checkbox"
                  aria-label={`Select ${entry.eventType} ${entry.id}`}
                  checked={selected.has(entry.id)}
                  onChange={() => toggle(entry.id)}
                />
              </td>
              <td>{entry.eventType}</td>
              {viewer.kind !== 'customer' && <td className="mono">{entry.customerExternalId}</td>}
              <td>{entry.reason}</td>
              <td>{entry.lastError ? `${entry.lastError.code}: ${entry.lastError.message}` : ''}</td>
              <td>{entry.attempts}</td>
              <td>{entry.replayCount}</td>
              <td>
                <When at={entry.createdAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {entries.length === 0 && !list.loading && <p>No open dead letters match.</p>}
      <Pager pageNumber={list.pageNumber} next={list.next} previous={list.previous} />
    </Section>
  );
}
