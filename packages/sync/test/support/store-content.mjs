/**
 * Deterministic bytes for the file store's tests, shared by the test and
 * the child processes it kills: chunk `id` is always the same 16–256 KiB,
 * so the parent can tell a partial chunk the child left from garbage.
 */

import { random } from "./random.mjs"

export { random }

/** Chunk ids the crash child draws from: the parent hashes each once. */
export const CHUNK_IDS = 300

/** The bytes of chunk `id`: a size in the registry's chunk range, filled from its own seed. */
export const chunkBytes = (id) => {
  const next = random(0x9e3779b9 ^ id)
  const size = 16 * 1024 + Math.floor(next() * 240 * 1024)
  const words = new Uint32Array(Math.ceil(size / 4))
  for (let i = 0; i < words.length; i++) words[i] = Math.floor(next() * 4294967296)
  return new Uint8Array(words.buffer, 0, size)
}
