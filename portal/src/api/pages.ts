/** Helpers for the API's cursor-paged lists: `{items, next_cursor}`. */
export interface Page<T> {
  items: T[];
  next_cursor?: string | null;
}

/**
 * Read every page of a list (following next_cursor) and return all items in the API's order.
 * Use only for lists the portal needs whole (the catalog, the directory); others page with
 * useInfiniteQuery and a Load more button.
 */
export async function readAllPages<T>(readPage: (cursor: string | undefined) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await readPage(cursor);
    items.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return items;
}

/** For useInfiniteQuery: the next page's cursor, or undefined at the end. */
export const nextCursor = <T,>(page: Page<T>): string | undefined => page.next_cursor ?? undefined;
