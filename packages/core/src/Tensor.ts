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
  /**
   * IEEE 754 half-precision bits, one per element (see `toFloat16Bits`):
   * Float16Array is not in Node 20 nor in ES2022, and ORT takes Uint16Array
   * for float16 where there is none. `dtype` tells it from `uint16`.
   */
  readonly float16: Uint16Array
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
  /** One byte per element, 0 (false) or 1 (true), as ORT stores bool. */
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
  float16: Uint16Array,
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

/** Every dtype a tensor can have. */
export const dtypes = Object.keys(constructors) as ReadonlyArray<DType>

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

/**
 * A half-precision tensor from its bits; `toFloat16Bits` makes them from float32.
 *
 * @example
 * ```ts
 * const x = Tensor.float16(Tensor.toFloat16Bits(Float32Array.of(0.5, 1)), [1, 2])
 * Tensor.fromFloat16Bits(x.data) // Float32Array [0.5, 1]
 * ```
 */
export const float16 = (bits: Uint16Array, dims: ReadonlyArray<number>): Tensor<"float16"> =>
  make("float16", bits, dims)

/** An int8 tensor, e.g. the input of a quantized model's DequantizeLinear. */
export const int8 = (data: Int8Array, dims: ReadonlyArray<number>): Tensor<"int8"> =>
  make("int8", data, dims)

/** A uint8 tensor, e.g. the input of a quantized model's DequantizeLinear. */
export const uint8 = (data: Uint8Array, dims: ReadonlyArray<number>): Tensor<"uint8"> =>
  make("uint8", data, dims)

/**
 * A bool tensor from booleans (copied into bytes) or from bytes of 0 and 1
 * (kept as given). Any other byte throws TensorShapeError rather than being
 * read as true: a stray 255 usually means a mask from the wrong place.
 * (`make("bool", …)` does not check.)
 *
 * @example
 * ```ts
 * Tensor.bool([true, false], [2]).data // Uint8Array [1, 0]
 * ```
 */
export const bool = (
  data: Uint8Array | ReadonlyArray<boolean>,
  dims: ReadonlyArray<number>,
): Tensor<"bool"> => {
  if (!(data instanceof Uint8Array)) return make("bool", Uint8Array.from(data, Number), dims)
  const bad = data.findIndex((b) => b > 1)
  if (bad !== -1) {
    throw new TensorShapeError({
      message: `bool tensor data must be 0 or 1, got ${data[bad]} at index ${bad}`,
    })
  }
  return make("bool", data, dims)
}

/**
 * float32 values to IEEE 754 half bits, rounding to nearest, ties to even:
 * past 65504 is ±Infinity, below 2^-24 goes subnormal then ±0, NaN stays NaN.
 *
 * @example
 * ```ts
 * Tensor.toFloat16Bits(Float32Array.of(1, -2, 65504)) // Uint16Array [0x3c00, 0xc000, 0x7bff]
 * ```
 */
export const toFloat16Bits = (values: Float32Array): Uint16Array => {
  const words = new Uint32Array(values.buffer, values.byteOffset, values.length)
  const out = new Uint16Array(values.length)
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!
    const sign = (w >>> 16) & 0x8000
    const exp = (w >>> 23) & 0xff
    const mant = w & 0x7fffff
    if (exp === 0xff) {
      // Infinity, or a quiet NaN keeping the payload's top bits.
      out[i] = sign | 0x7c00 | (mant === 0 ? 0 : 0x200 | (mant >>> 13))
      continue
    }
    const e = exp - 112 // the exponent rebiased from 127 to 15
    if (e >= 31) {
      out[i] = sign | 0x7c00
    } else if (e >= 1) {
      // Normal: drop 13 mantissa bits; a carry out of the mantissa bumps the
      // exponent, which is right, up to Infinity (65520 rounds there).
      const h = (e << 10) | (mant >>> 13)
      const rest = mant & 0x1fff
      out[i] = sign | (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1) ? h + 1 : h)
    } else if (e >= -10) {
      // Subnormal: the mantissa with its implicit 1, in units of 2^-24; a
      // carry to 0x400 is the smallest normal, encoded right as it is.
      const shift = 14 - e
      const full = mant | 0x800000
      const q = full >>> shift
      const rest = full & ((1 << shift) - 1)
      const half = 1 << (shift - 1)
      out[i] = sign | (rest > half || (rest === half && (q & 1) === 1) ? q + 1 : q)
    } else {
      // At most 2^-25, half the smallest subnormal: ties to even give ±0.
      out[i] = sign
    }
  }
  return out
}

/**
 * IEEE 754 half bits to float32 values (exact: every half is a float32).
 *
 * @example
 * ```ts
 * Tensor.fromFloat16Bits(Uint16Array.of(0x3c00, 0x0001)) // Float32Array [1, 2 ** -24]
 * ```
 */
export const fromFloat16Bits = (bits: Uint16Array): Float32Array => {
  const out = new Float32Array(bits.length)
  const words = new Uint32Array(out.buffer)
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i]!
    const sign = (h & 0x8000) << 16
    const exp = (h >>> 10) & 0x1f
    const mant = h & 0x3ff
    if (exp === 0) {
      // ±0 or subnormal: mant × 2^-24, exact in float32.
      out[i] = (sign === 0 ? 1 : -1) * mant * 2 ** -24
    } else {
      // Normal, or (exp 31) Infinity / NaN with the payload kept.
      words[i] = (sign | ((exp === 31 ? 0xff : exp + 112) << 23) | (mant << 13)) >>> 0
    }
  }
  return out
}

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

/**
 * Stacks tensors on dim 0 whose last dim may differ (ragged rows, such as a
 * bag of sparse features), padding each row with zeros to the widest. Every
 * other dim must match. Only for models that read a zero as nothing.
 */
export const concatPadded = <D extends DType>(tensors: ReadonlyArray<Tensor<D>>): Tensor<D> => {
  const first = tensors[0]
  if (first === undefined) throw new TensorShapeError({ message: "cannot concat zero tensors" })
  const last = first.dims.length - 1
  if (last < 1) {
    throw new TensorShapeError({
      message: `cannot pad ${first.dtype}[${first.dims}]: it needs a dim after dim 0`,
    })
  }
  const middle = first.dims.slice(1, last).join(",")
  let rows = 0
  let width = 0
  for (const t of tensors) {
    if (
      t.dtype !== first.dtype ||
      t.dims.length !== first.dims.length ||
      t.dims.slice(1, last).join(",") !== middle
    ) {
      throw new TensorShapeError({
        message: `cannot concat ${t.dtype}[${t.dims}] with ${first.dtype}[${first.dims}] on dim 0, padding dim ${last}`,
      })
    }
    rows += t.dims[0]!
    width = Math.max(width, t.dims[last]!)
  }
  const dims = [rows, ...first.dims.slice(1, last), width]
  const out = new constructors[first.dtype](size(dims)) as {
    set(a: ArrayLike<number | bigint>, o: number): void
  }
  let line = 0
  for (const t of tensors) {
    const own = t.dims[last]!
    for (let at = 0; at < t.data.length; at += own) {
      out.set(t.data.subarray(at, at + own) as ArrayLike<number | bigint>, line * width)
      line++
    }
  }
  return make(first.dtype, out as DataTypes[D], dims)
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
