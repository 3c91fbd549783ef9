/**
 * Finding the ArrayBuffers in a value so they can be transferred (moved,
 * not copied) across a worker boundary. Only buffers a typed array covers
 * whole are moved: a view into a larger buffer may share it with state the
 * sender still uses, so it is copied instead.
 */
export const buffersOf = (
  value: unknown,
  found: Set<ArrayBuffer> = new Set(),
): Array<ArrayBuffer> => {
  collect(value, found, 0)
  return [...found]
}

const isWholeView = (view: ArrayBufferView): boolean =>
  view.byteOffset === 0 && view.byteLength === view.buffer.byteLength

const collect = (value: unknown, found: Set<ArrayBuffer>, depth: number): void => {
  if (value === null || typeof value !== "object" || depth > 8) return
  // An empty buffer may be one already transferred (detached): listing it
  // again would make postMessage drop the whole message on some platforms.
  if (value instanceof ArrayBuffer) {
    if (value.byteLength > 0) found.add(value)
    return
  }
  if (ArrayBuffer.isView(value)) {
    const buffer = value.buffer
    if (buffer instanceof ArrayBuffer && buffer.byteLength > 0 && isWholeView(value))
      found.add(buffer)
    return
  }
  const items = Array.isArray(value) ? value : Object.values(value)
  for (const item of items) collect(item, found, depth + 1)
}
