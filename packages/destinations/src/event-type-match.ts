/**
 * A destination's `eventTypes`: exact names or globs where `*` stands for any run of
 * characters (`order.*` matches `order.completed` and `order.line.added`). null: all.
 *
 * Globs are matched without regular expressions: with `*` as the only wildcard, taking each
 * literal part at its first possible place is always right, so a match is linear in the
 * event type's length whatever the pattern (a backtracking regex of `*a*a*a*b` is not).
 */
export type EventTypeMatcher = (eventType: string) => boolean;

export function globMatches(parts: readonly string[], text: string): boolean {
  const first = parts[0] ?? '';
  const last = parts.at(-1) ?? '';
  if (parts.length === 1) return text === first;
  if (text.length < first.length + last.length || !text.startsWith(first) || !text.endsWith(last)) return false;
  let at = first.length;
  const end = text.length - last.length;
  for (const middle of parts.slice(1, -1)) {
    const found = text.indexOf(middle, at);
    if (found === -1 || found + middle.length > end) return false;
    at = found + middle.length;
  }
  return true;
}

export function compileEventTypes(patterns: readonly string[] | null): EventTypeMatcher {
  if (patterns === null) return () => true;
  const exact = new Set(patterns.filter((p) => !p.includes('*')));
  const globs = patterns.filter((p) => p.includes('*')).map((p) => p.split('*'));
  return (eventType) => exact.has(eventType) || globs.some((parts) => globMatches(parts, eventType));
}
