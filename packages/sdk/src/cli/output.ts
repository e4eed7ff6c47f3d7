/** What the CLI writes: tables and lines for people, JSON for scripts. */

export interface CliStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export type Cell = string | number | boolean | null | undefined;

const text = (cell: Cell) => (cell === null || cell === undefined ? '-' : String(cell));

/** Columns padded to their widest cell; the last column is not padded. */
export function formatTable(headers: string[], rows: Cell[][]): string {
  const cells = [headers, ...rows.map((row) => row.map(text))];
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  return cells
    .map((row) =>
      row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  '),
    )
    .join('\n');
}

/** `key: value` lines, nested objects as compact JSON. */
export function formatFields(fields: Record<string, unknown>): string {
  const width = Math.max(...Object.keys(fields).map((key) => key.length));
  return Object.entries(fields)
    .map(([key, value]) => {
      const shown =
        value === null || value === undefined ? '-' : typeof value === 'object' ? JSON.stringify(value) : String(value);
      return `${`${key}:`.padEnd(width + 1)} ${shown}`;
    })
    .join('\n');
}

export const shortTime = (iso: string | null | undefined) =>
  iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-';

/** A one-line bar: `[##########----------]  50%  250/500`. */
export function progressBar(done: number, total: number, width = 30): string {
  const ratio = total === 0 ? 1 : Math.min(1, done / total);
  const filled = Math.round(ratio * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(ratio * 100)).padStart(3)}%  ${done}/${total}`;
}
