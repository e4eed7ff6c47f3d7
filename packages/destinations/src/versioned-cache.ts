/**
 * A bounded cache of values derived from a versioned row (a destination and its updatedAt):
 * a new version replaces the entry, and beyond `maxEntries` the least recently used goes.
 */
export interface VersionedCache<V> {
  get(id: string, version: number): V | undefined;
  set(id: string, version: number, value: V): V;
  readonly size: number;
}

export function createVersionedCache<V>(maxEntries: number): VersionedCache<V> {
  const entries = new Map<string, { version: number; value: V }>();
  return {
    get(id, version) {
      const hit = entries.get(id);
      if (!hit || hit.version !== version) return undefined;
      entries.delete(id);
      entries.set(id, hit);
      return hit.value;
    },
    set(id, version, value) {
      entries.delete(id);
      entries.set(id, { version, value });
      while (entries.size > maxEntries) {
        const oldest = entries.keys().next();
        if (oldest.done) break;
        entries.delete(oldest.value);
      }
      return value;
    },
    get size() {
      return entries.size;
    },
  };
}
