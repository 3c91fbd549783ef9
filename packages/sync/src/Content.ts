/**
 * A model's bytes as the registry describes them: content-defined chunks,
 * each with its sha256, and the sha256 and size of the whole. Streaming:
 * memory stays at one chunk whatever the model's size.
 */
import { Effect } from "effect"
import { createSHA256 } from "hash-wasm"
import * as Chunking from "./Chunking.js"
import type * as Manifest from "./Manifest.js"

export interface Described {
  readonly sha256: string
  readonly size: number
  readonly chunks: ReadonlyArray<Manifest.Chunk>
}

/** The lowercase hex sha256 of bytes. */
export const sha256 = (bytes: Uint8Array): Effect.Effect<string> =>
  Effect.promise(async () => {
    const hasher = await createSHA256()
    return hasher.init().update(bytes).digest("hex")
  })

/**
 * Chunks and hashes `source`; `onChunk` gets each chunk with its bytes (to
 * store it) before the next is read.
 */
export const describe = <E, R>(
  source: AsyncIterable<Uint8Array>,
  onChunk: (chunk: Manifest.Chunk, bytes: Uint8Array) => Effect.Effect<void, E, R>,
  options: Chunking.Options = Chunking.DEFAULTS,
): Effect.Effect<Described, E, R> =>
  Effect.gen(function* () {
    const whole = yield* Effect.promise(createSHA256)
    const each = yield* Effect.promise(createSHA256)
    whole.init()
    const chunker = Chunking.chunker(options)
    const chunks: Array<Manifest.Chunk> = []
    let size = 0
    const take = (bytes: Uint8Array) => {
      const chunk = { sha256: each.init().update(bytes).digest("hex"), size: bytes.length }
      chunks.push(chunk)
      return onChunk(chunk, bytes)
    }
    const iterator = source[Symbol.asyncIterator]()
    while (true) {
      const next = yield* Effect.promise(() => iterator.next())
      if (next.done) break
      whole.update(next.value)
      size += next.value.length
      for (const bytes of chunker.push(next.value)) yield* take(bytes)
    }
    const last = chunker.end()
    if (last !== undefined) yield* take(last)
    return { sha256: whole.digest("hex"), size, chunks }
  })
