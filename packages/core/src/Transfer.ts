/**
 * Finding the ArrayBuffers in a value so they can be transferred (moved,
 * not copied) across a worker boundary. Only buffers a typed array covers
 * whole are moved: a view into a larger buffer may share it with state the
 * sender still uses, so it is copied instead.
 *
 * A moved buffer is detached on the sender's side: every view of it is now
 * empty. `findDetached` finds such a buffer before it is sent again, so the
 * caller hears what happened instead of a bare "could not be cloned".
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

/**
 * Whether `buffer` was detached (transferred away). `ArrayBuffer.prototype.detached`
 * is missing from older engines (Node 20), and a detached buffer looks like an
 * empty one; but copying a detached buffer throws, in every engine.
 */
export const isDetached = (buffer: ArrayBuffer): boolean => {
  if (buffer.byteLength > 0) return false
  try {
    buffer.slice(0)
    return false
  } catch {
    return true
  }
}

/**
 * The path (`input.samples`, `input[2]`) of the first detached buffer in
 * `value`, or undefined when there is none. Only empty buffers are checked,
 * so this costs nothing on the usual input.
 */
export const findDetached = (value: unknown, path = "input"): string | undefined =>
  find(value, path, 0)

const find = (value: unknown, path: string, depth: number): string | undefined => {
  if (value === null || typeof value !== "object" || depth > 8) return undefined
  if (value instanceof ArrayBuffer) return isDetached(value) ? path : undefined
  if (ArrayBuffer.isView(value)) {
    const buffer = value.buffer
    return buffer instanceof ArrayBuffer && isDetached(buffer) ? path : undefined
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = find(value[i], `${path}[${i}]`, depth + 1)
      if (found !== undefined) return found
    }
    return undefined
  }
  for (const [key, item] of Object.entries(value)) {
    const found = find(item, `${path}.${key}`, depth + 1)
    if (found !== undefined) return found
  }
  return undefined
}
