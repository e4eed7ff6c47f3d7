import { type ReactNode, useCallback, useEffect, useId, useState } from 'react';
import { type FieldError, type Page, SluiceProblem } from './api.ts';

/** Loads on mount and whenever `deps` change; `reload` runs it again. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]) {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const key = JSON.stringify(deps);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `load` reads only what the caller lists in deps (key)
  const run = useCallback(() => {
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => setState({ data, loading: false }),
      (error: unknown) => setState({ error, loading: false }),
    );
  }, [key]);
  useEffect(run, [run]);
  return { ...state, reload: run };
}

/** A list page by page, with the cursors seen so far so Previous works too. */
export function usePages<T>(load: (cursor?: string) => Promise<Page<T>>, deps: unknown[]) {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors.at(-1);
  const key = JSON.stringify(deps);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a change of filters (key) starts from page 1
  useEffect(() => setCursors([undefined]), [key]);
  const page = useLoad(() => load(cursor), [cursor, ...deps]);
  return {
    ...page,
    pageNumber: cursors.length,
    next: page.data?.nextCursor ? () => setCursors([...cursors, page.data?.nextCursor ?? undefined]) : undefined,
    previous: cursors.length > 1 ? () => setCursors(cursors.slice(0, -1)) : undefined,
  };
}

export function Pager(props: {
  pageNumber: number;
  next: (() => void) | undefined;
  previous: (() => void) | undefined;
}) {
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" onClick={props.previous} disabled={!props.previous}>
        Previous
      </button>
      <span>Page {props.pageNumber}</span>
      <button type="button" onClick={props.next} disabled={!props.next}>
        Next
      </button>
    </nav>
  );
}

/** The API's problem detail (or any failure) where the user is looking. */
export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  const text = error instanceof SluiceProblem ? error.detail : error instanceof Error ? error.message : String(error);
  return (
    <p className="error" role="alert">
      {text}
    </p>
  );
}

export function fieldErrorsOf(error: unknown): Map<string, string> {
  const errors: FieldError[] = error instanceof SluiceProblem ? error.errors : [];
  return new Map(errors.map((e) => [e.path, e.message]));
}

/** A labelled input with the API's error for its field right under it. */
export function Field(props: {
  label: string;
  name: string;
  value: string;
  onChange: (value: string) => void;
  error?: string | undefined;
  hint?: string;
  readOnly?: boolean;
  type?: string;
  required?: boolean;
}) {
  const id = useId();
  const described = [props.hint ? `${id}-hint` : '', props.error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <input
        id={id}
        name={props.name}
        type={props.type ?? 'text'}
        value={props.value}
        readOnly={props.readOnly}
        required={props.required}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={described || undefined}
        onChange={(e) => props.onChange(e.target.value)}
      />
      {props.hint && (
        <p className="hint" id={`${id}-hint`}>
          {props.hint}
        </p>
      )}
      {props.error && (
        <p className="field-error" id={`${id}-error`}>
          {props.error}
        </p>
      )}
    </div>
  );
}

export function When({ at }: { at: string | null | undefined }) {
  if (!at) return <span className="muted">—</span>;
  return <time dateTime={at}>{new Date(at).toLocaleString()}</time>;
}

export function Badge({ value }: { value: string }) {
  return <span className={`badge badge-${value}`}>{value}</span>;
}

/** A block of text to copy or download (policies, templates). */
export function CopyBlock(props: { title: string; text: string; fileName?: string }) {
  const [copied, setCopied] = useState(false);
  const copy = () =>
    navigator.clipboard.writeText(props.text).then(
      () => setCopied(true),
      () => setCopied(false),
    );
  const download = () => {
    const url = URL.createObjectURL(new Blob([props.text], { type: 'text/plain' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = props.fileName ?? 'download.txt';
    link.click();
    URL.revokeObjectURL(url);
  };
  return (
    <section className="copy-block" aria-label={props.title}>
      <header>
        <h4>{props.title}</h4>
        <button type="button" onClick={copy}>
          {copied ? 'Copied' : 'Copy'}
        </button>
        {props.fileName && (
          <button type="button" onClick={download}>
            Download
          </button>
        )}
      </header>
      <pre>{props.text}</pre>
    </section>
  );
}

export function Section(props: { title: string; children: ReactNode; actions?: ReactNode }) {
  return (
    <section className="panel">
      <header className="panel-header">
        <h2>{props.title}</h2>
        {props.actions}
      </header>
      {props.children}
    </section>
  );
}

export function ago(at: string | null): string {
  if (!at) return '—';
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(at)) / 1000));
  if (seconds < 90) return `${seconds} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}
