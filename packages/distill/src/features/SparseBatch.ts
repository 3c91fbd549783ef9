/**
 * Messages' sparse features padded into the two tensors the exported model
 * takes: `indices` int64 [rows, width] and `values` float32 [rows, width].
 * Padding is bucket 0 with weight 0, which adds nothing.
 */
import type { SparseFeatures } from "./Featurizer.js"

export interface SparseBatch {
  readonly rows: number
  readonly width: number
  readonly indices: BigInt64Array
  readonly values: Float32Array
}

/** On little-endian hosts (all current ones) an int64 is its low 32-bit word then 0 for a small non-negative index. */
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1

export const pad = (items: ReadonlyArray<SparseFeatures>): SparseBatch => {
  let width = 1
  for (const f of items) width = Math.max(width, f.indices.length)
  const indices = new BigInt64Array(items.length * width)
  const values = new Float32Array(items.length * width)
  // Writing 32-bit words skips a BigInt per feature, which cost as much as the model's run.
  const words = LITTLE_ENDIAN ? new Int32Array(indices.buffer) : undefined
  items.forEach((f, row) => {
    const start = row * width
    values.set(f.values, start)
    if (words !== undefined) {
      for (let k = 0; k < f.indices.length; k++) words[2 * (start + k)] = f.indices[k]!
    } else {
      for (let k = 0; k < f.indices.length; k++) indices[start + k] = BigInt(f.indices[k]!)
    }
  })
  return { rows: items.length, width, indices, values }
}
