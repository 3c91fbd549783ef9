/**
 * Runtime-neutral tensors: a dtype, dims and a typed array. Runtimes wrap
 * `data` without copying when they hand a tensor to their engine.
 *
 * @example
 * ```ts
 * import { Tensor } from "@edgeline/core"
 * const frame = Tensor.float32(new Float32Array(576), [1, 576])
 * ```
 */
import { TensorShapeError } from "./Errors.js"

export interface DataTypes {
  readonly float32: Float32Array
  readonly float64: Float64Array
  readonly int8: Int8Array
  readonly uint8: Uint8Array
  readonly int16: Int16Array
  readonly uint16: Uint16Array
  readonly int32: Int32Array
  readonly uint32: Uint32Array
  readonly int64: BigInt64Array
  readonly uint64: BigUint64Array
  readonly bool: Uint8Array
}

export type DType = keyof DataTypes

export interface Tensor<D extends DType = DType> {
  readonly dtype: D
  readonly dims: ReadonlyArray<number>
  readonly data: DataTypes[D]
}

/** Named model inputs or outputs. */
export type Feeds = Readonly<Record<string, Tensor>>

const constructors: { readonly [D in DType]: { new (length: number): DataTypes[D] } } = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  bool: Uint8Array,
}

/** Number of elements a tensor of these dims holds. */
export const size = (dims: ReadonlyArray<number>): number => dims.reduce((n, d) => n * d, 1)

/** Makes a tensor, checking that `data` holds exactly as many elements as `dims` says. */
export const make = <D extends DType>(
  dtype: D,
  data: DataTypes[D],
  dims: ReadonlyArray<number>,
): Tensor<D> => {
  if (dims.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new TensorShapeError({ message: `dims must be non-negative integers, got [${dims}]` })
  }
  if (size(dims) !== data.length) {
    throw new TensorShapeError({
      message: `dims [${dims}] need ${size(dims)} elements but data has ${data.length}`,
    })
  }
  return { dtype, dims: [...dims], data }
}

export const float32 = (data: Float32Array, dims: ReadonlyArray<number>): Tensor<"float32"> =>
  make("float32", data, dims)

export const int64 = (data: BigInt64Array, dims: ReadonlyArray<number>): Tensor<"int64"> =>
  make("int64", data, dims)

/** A tensor of zeros. */
export const zeros = <D extends DType>(dtype: D, dims: ReadonlyArray<number>): Tensor<D> =>
  make(dtype, new constructors[dtype](size(dims)), dims)

/**
 * Stacks tensors along dim 0 (they must agree on dtype and the other dims).
 * Used by micro-batching: N callers' inputs become one batch.
 */
export const concat = <D extends DType>(tensors: ReadonlyArray<Tensor<D>>): Tensor<D> => {
  const first = tensors[0]
  if (first === undefined) throw new TensorShapeError({ message: "cannot concat zero tensors" })
  const rest = first.dims.slice(1).join(",")
  let rows = 0
  for (const t of tensors) {
    if (t.dtype !== first.dtype || t.dims.slice(1).join(",") !== rest || t.dims.length === 0) {
      throw new TensorShapeError({
        message: `cannot concat ${t.dtype}[${t.dims}] with ${first.dtype}[${first.dims}] on dim 0`,
      })
    }
    rows += t.dims[0]!
  }
  const out = new constructors[first.dtype](size([rows, ...first.dims.slice(1)]))
  let offset = 0
  for (const t of tensors) {
    ;(out as { set(a: ArrayLike<number | bigint>, o: number): void }).set(t.data, offset)
    offset += t.data.length
  }
  return make(first.dtype, out, [rows, ...first.dims.slice(1)])
}

/** Splits a tensor along dim 0 into parts of the given row counts, as views (no copy). */
export const split = <D extends DType>(
  tensor: Tensor<D>,
  rows: ReadonlyArray<number>,
): Array<Tensor<D>> => {
  const total = rows.reduce((a, b) => a + b, 0)
  if (tensor.dims[0] !== total) {
    throw new TensorShapeError({
      message: `cannot split dim 0 of size ${tensor.dims[0]} into ${rows.join("+")}`,
    })
  }
  const stride = size(tensor.dims.slice(1))
  const parts: Array<Tensor<D>> = []
  let row = 0
  for (const n of rows) {
    const data = tensor.data.subarray(row * stride, (row + n) * stride) as DataTypes[D]
    parts.push(make(tensor.dtype, data, [n, ...tensor.dims.slice(1)]))
    row += n
  }
  return parts
}
