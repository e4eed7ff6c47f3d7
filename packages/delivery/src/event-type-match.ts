/**
 * A destination's `eventTypes`: exact names or globs where `*` stands for any run of
 * characters (`order.*` matches `order.completed` and `order.line.added`). null: all.
 */
export type EventTypeMatcher = (eventType: string) => boolean;

const escapeRegExp = (text: string) => text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');

export function compileEventTypes(patterns: readonly string[] | null): EventTypeMatcher {
  if (patterns === null) return () => true;
  const exact = new Set(patterns.filter((p) => !p.includes('*')));
  const globs = patterns
    .filter((p) => p.includes('*'))
    .map((p) => new RegExp(`^${p.split('*').map(escapeRegExp).join('.*')}$`));
  return (eventType) => exact.has(eventType) || globs.some((glob) => glob.test(eventType));
}
