import type { Page, PageIterator } from './operation-types.ts';

/** Follows `nextCursor` from the first page to the last, one request per page, as they are read. */
export function paginate<Item>(fetchPage: (cursor: string | undefined) => Promise<Page<Item>>): PageIterator<Item> {
  async function* pages(): AsyncGenerator<Page<Item>> {
    let cursor: string | undefined;
    do {
      const page = await fetchPage(cursor);
      yield page;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
  return {
    [Symbol.asyncIterator]: pages,
    async *items() {
      for await (const page of pages()) yield* page.data;
    },
  };
}
