/**
 * Runs `each` over `items`, `width` at a time: the device's callers arrive
 * together (so the student micro-batches them) without asking the cloud
 * tier more at once than it serves (it answers 429 past 16).
 */
export const inPool = async <A>(
  items: ReadonlyArray<A>,
  width: number,
  each: (item: A, index: number) => Promise<void>,
): Promise<void> => {
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const index = next++
      await each(items[index]!, index)
    }
  }
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker))
}

/** Messages in flight at once on the device. */
export const CONCURRENCY = 16
