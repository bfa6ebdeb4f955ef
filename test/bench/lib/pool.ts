// Runs fn over items with at most `limit` calls in flight (e.g. connection attempts, so that the
// collector's listen backlog does not overflow and turn into SYN retries).
export async function inPool<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable between processes. */
export const wallMs = (): number => performance.timeOrigin + performance.now();
