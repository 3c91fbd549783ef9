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

export const pad = (items: ReadonlyArray<SparseFeatures>): SparseBatch => {
  const width = Math.max(1, ...items.map((f) => f.indices.length))
  const indices = new BigInt64Array(items.length * width)
  const values = new Float32Array(items.length * width)
  items.forEach((f, row) => {
    for (let k = 0; k < f.indices.length; k++) {
      indices[row * width + k] = BigInt(f.indices[k]!)
      values[row * width + k] = f.values[k]!
    }
  })
  return { rows: items.length, width, indices, values }
}
