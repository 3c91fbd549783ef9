/**
 * Finding the ArrayBuffers in a value so they can be transferred (moved,
 * not copied) across a worker boundary. Only buffers a typed array covers
 * whole are moved: a view into a larger buffer may share it with state the
 * sender still uses, so it is copied instead.
 *
 * A moved buffer is detached on the sender's side: every view of it is now
 * empty. The same walk finds such a buffer before it is sent again, so the
 * caller hears what happened instead of a bare "could not be cloned".
 */

export interface Scan {
  /** The buffers to move: each one that a typed array (or the value) covers whole. */
  readonly buffers: Array<ArrayBuffer>
  /** The path (`input.samples`, `input[2]`) of the first detached buffer, if any. */
  readonly detached: string | undefined
}

/** One walk of `value` for both: what to move, and whether something was moved already. */
export const scan = (value: unknown, path = "input"): Scan => {
  const found = new Set<ArrayBuffer>()
  const detached = walk(value, found, 0)
  return { buffers: [...found], detached: detached === undefined ? undefined : path + detached }
}

export const buffersOf = (value: unknown): Array<ArrayBuffer> => scan(value).buffers

export const findDetached = (value: unknown, path = "input"): string | undefined =>
  scan(value, path).detached

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

const isWholeView = (view: ArrayBufferView): boolean =>
  view.byteOffset === 0 && view.byteLength === view.buffer.byteLength

/**
 * Adds the movable buffers under `value` to `found`; returns the path suffix
 * ("", ".samples", "[2]") of the first detached buffer, built only when one is
 * there. An empty buffer is never listed: it may be one already transferred,
 * and listing it would make postMessage drop the whole message.
 */
const walk = (value: unknown, found: Set<ArrayBuffer>, depth: number): string | undefined => {
  if (value === null || typeof value !== "object" || depth > 8) return undefined
  if (value instanceof ArrayBuffer) {
    if (value.byteLength > 0) found.add(value)
    return isDetached(value) ? "" : undefined
  }
  if (ArrayBuffer.isView(value)) {
    const buffer = value.buffer
    if (!(buffer instanceof ArrayBuffer)) return undefined
    if (buffer.byteLength > 0 && isWholeView(value)) found.add(buffer)
    return isDetached(buffer) ? "" : undefined
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const detached = walk(value[i], found, depth + 1)
      if (detached !== undefined) return `[${i}]${detached}`
    }
    return undefined
  }
  for (const key of Object.keys(value)) {
    const detached = walk((value as Record<string, unknown>)[key], found, depth + 1)
    if (detached !== undefined) return `.${key}${detached}`
  }
  return undefined
}
