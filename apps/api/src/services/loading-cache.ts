/**
 * A small in-process cache for lookups on the request path (API keys, tenant limits): a hit
 * is answered synchronously, concurrent misses share one load, and `forget` is safe against
 * a load that was already under way (its answer, read before the change, is not kept).
 */
export interface LoadingCache<V> {
  /** The cached value, or the load that will produce it. */
  get(key: string): V | Promise<V>;
  /** Drops the entries whose value matches, and every load under way. */
  forget(matches: (value: V) => boolean): void;
  forgetKeys(keys: Iterable<string>): void;
}

type Entry<V> = { at: number } & ({ loading: true; pending: Promise<V> } | { loading: false; value: V });

export function createLoadingCache<V>(options: {
  load(key: string): Promise<V>;
  /** Whether a value this old may still be served (a false at age 0: never kept). */
  isFresh(value: V, ageMs: number): boolean;
  maxEntries: number;
}): LoadingCache<V> {
  const entries = new Map<string, Entry<V>>();
  let generation = 0;

  function load(key: string): Promise<V> {
    const started = generation;
    const pending = options.load(key);
    const entry: Entry<V> = { at: Date.now(), loading: true, pending };
    entries.set(key, entry);
    // Insertion order is age order: the oldest entry goes first when the cache is full.
    if (entries.size > options.maxEntries) entries.delete(entries.keys().next().value!);
    pending.then(
      (value) => {
        if (entries.get(key) !== entry) return;
        if (generation !== started || !options.isFresh(value, 0)) entries.delete(key);
        else entries.set(key, { at: entry.at, loading: false, value });
      },
      () => {
        if (entries.get(key) === entry) entries.delete(key);
      },
    );
    return pending;
  }

  const forgetPending = () => {
    generation += 1;
    for (const [key, entry] of entries) if (entry.loading) entries.delete(key);
  };

  return {
    get(key) {
      const entry = entries.get(key);
      if (entry?.loading) return entry.pending;
      if (entry && options.isFresh(entry.value, Date.now() - entry.at)) return entry.value;
      return load(key);
    },
    forget(matches) {
      forgetPending();
      for (const [key, entry] of entries) if (!entry.loading && matches(entry.value)) entries.delete(key);
    },
    forgetKeys(keys) {
      forgetPending();
      for (const key of keys) entries.delete(key);
    },
  };
}
