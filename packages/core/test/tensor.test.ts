import { describe, expect, it } from "vitest"
import { TensorShapeError } from "../src/Errors.js"
import * as Tensor from "../src/Tensor.js"

const thrown = (f: () => unknown): unknown => {
  try {
    f()
  } catch (e) {
    return e
  }
  throw new Error("expected a throw")
}

describe("Tensor.make", () => {
  it("keeps dtype, dims and the very same data array", () => {
    const data = new Float32Array([1, 2, 3, 4, 5, 6])
    const t = Tensor.make("float32", data, [2, 3])
    expect(t.dtype).toBe("float32")
    expect(t.dims).toEqual([2, 3])
    expect(t.data).toBe(data)
  })

  it("rejects dims that disagree with the data length with TensorShapeError", () => {
    const error = thrown(() => Tensor.float32(new Float32Array(6), [4, 2]))
    expect(error).toBeInstanceOf(TensorShapeError)
    expect(error).toBeInstanceOf(Error)
    const e = error as TensorShapeError
    expect(e._tag).toBe("TensorShapeError")
    expect(e.message).toContain("[4,2]")
    expect(e.message).toContain("8")
    expect(e.message).toContain("6")
  })

  it("rejects negative and fractional dims", () => {
    expect(thrown(() => Tensor.float32(new Float32Array(0), [-1, 0]))).toBeInstanceOf(
      TensorShapeError,
    )
    expect(thrown(() => Tensor.float32(new Float32Array(3), [1.5, 2]))).toBeInstanceOf(
      TensorShapeError,
    )
  })

  it("copies dims, so the caller mutating its array does not reshape the tensor", () => {
    const dims = [2, 2]
    const t = Tensor.float32(new Float32Array(4), dims)
    dims[0] = 4
    expect(t.dims).toEqual([2, 2])
  })

  it("zeros makes a tensor of the right dtype and size", () => {
    const t = Tensor.zeros("int64", [3, 2])
    expect(t.data).toBeInstanceOf(BigInt64Array)
    expect(t.data.length).toBe(6)
    expect(Array.from(t.data)).toEqual([0n, 0n, 0n, 0n, 0n, 0n])
    expect(Tensor.zeros("float32", []).data.length).toBe(1)
  })
})

describe("Tensor.concat / Tensor.split", () => {
  it("concat stacks on dim 0 in order", () => {
    const a = Tensor.float32(Float32Array.of(1, 2), [1, 2])
    const b = Tensor.float32(Float32Array.of(3, 4, 5, 6), [2, 2])
    const c = Tensor.concat([a, b])
    expect(c.dims).toEqual([3, 2])
    expect(Array.from(c.data)).toEqual([1, 2, 3, 4, 5, 6])
  })

  it("split undoes concat (float32)", () => {
    const parts = [
      Tensor.float32(Float32Array.of(1, 2, 3), [1, 3]),
      Tensor.float32(Float32Array.of(4, 5, 6, 7, 8, 9), [2, 3]),
      Tensor.float32(new Float32Array(0), [0, 3]),
      Tensor.float32(Float32Array.of(10, 11, 12), [1, 3]),
    ]
    const back = Tensor.split(
      Tensor.concat(parts),
      parts.map((p) => p.dims[0]!),
    )
    expect(back).toHaveLength(4)
    back.forEach((part, i) => {
      expect(part.dtype).toBe("float32")
      expect(part.dims).toEqual(parts[i]!.dims)
      expect(Array.from(part.data)).toEqual(Array.from(parts[i]!.data))
    })
  })

  it("split undoes concat (int64, bigint data)", () => {
    const a = Tensor.int64(BigInt64Array.of(1n, 2n), [2])
    const b = Tensor.int64(BigInt64Array.of(3n), [1])
    const [a2, b2] = Tensor.split(Tensor.concat([a, b]), [2, 1])
    expect(Array.from(a2!.data)).toEqual([1n, 2n])
    expect(Array.from(b2!.data)).toEqual([3n])
    expect(a2!.dims).toEqual([2])
  })

  it("split gives views into the source buffer, not copies", () => {
    const whole = Tensor.float32(Float32Array.of(0, 1, 2, 3, 4, 5, 6, 7), [4, 2])
    const [top, bottom] = Tensor.split(whole, [1, 3])
    expect(top!.data.buffer).toBe(whole.data.buffer)
    expect(bottom!.data.buffer).toBe(whole.data.buffer)
    expect(bottom!.data.byteOffset).toBe(2 * Float32Array.BYTES_PER_ELEMENT)
    bottom!.data[0] = 42
    expect(whole.data[2]).toBe(42)
  })

  it("concat copies: the batch does not alias its parts", () => {
    const a = Tensor.float32(Float32Array.of(1), [1, 1])
    const c = Tensor.concat([a, Tensor.float32(Float32Array.of(2), [1, 1])])
    c.data[0] = 9
    expect(a.data[0]).toBe(1)
  })

  it("concat rejects a dtype mismatch, an inner-dims mismatch, scalars and no tensors", () => {
    const f = Tensor.float32(Float32Array.of(1, 2), [1, 2])
    const wide = Tensor.float32(Float32Array.of(1, 2, 3), [1, 3])
    const ints = Tensor.make("int32", Int32Array.of(1, 2), [1, 2])
    const scalar = Tensor.float32(Float32Array.of(1), [])
    for (const bad of [[f, ints], [f, wide], [scalar, scalar], []] as const) {
      const error = thrown(() => Tensor.concat(bad as ReadonlyArray<Tensor.Tensor>))
      expect(error).toBeInstanceOf(TensorShapeError)
    }
    expect((thrown(() => Tensor.concat([f, wide])) as Error).message).toContain("[1,3]")
  })

  it("split rejects row counts that do not add up to dim 0", () => {
    const t = Tensor.float32(new Float32Array(6), [3, 2])
    const error = thrown(() => Tensor.split(t, [1, 1]))
    expect(error).toBeInstanceOf(TensorShapeError)
    expect((error as Error).message).toContain("1+1")
  })
})

/** The half bits of each value, through float32. */
const halfBits = (...values: Array<number>) =>
  Array.from(Tensor.toFloat16Bits(Float32Array.from(values)))

/** The next float32 above (`+1`) or below (`-1`) a positive float32. */
const nextFloat32 = (x: number, step: 1 | -1): number => {
  const words = new Uint32Array(Float32Array.of(x).buffer)
  words[0]! += step
  return new Float32Array(words.buffer)[0]!
}

describe("Tensor.toFloat16Bits / Tensor.fromFloat16Bits", () => {
  it("gives the known bit patterns", () => {
    expect(halfBits(1, -2, 65504, 0.5, 0, -0)).toEqual([
      0x3c00, 0xc000, 0x7bff, 0x3800, 0x0000, 0x8000,
    ])
    expect(halfBits(0.1)).toEqual([0x2e66])
    expect(halfBits(2 ** -24, 2 ** -14, -(2 ** -24))).toEqual([0x0001, 0x0400, 0x8001])
    expect(halfBits(Infinity, -Infinity)).toEqual([0x7c00, 0xfc00])
  })

  it("rounds past 65504 to Infinity from 65520 up, and below it back to 65504", () => {
    expect(halfBits(65520, 1e6, -65520, 3.4e38)).toEqual([0x7c00, 0x7c00, 0xfc00, 0x7c00])
    expect(halfBits(65519, nextFloat32(65520, -1))).toEqual([0x7bff, 0x7bff])
  })

  it("flushes below half the smallest subnormal to a signed zero; exactly half ties to 0", () => {
    expect(halfBits(2 ** -25, -(2 ** -25), 2 ** -30, 1e-45)).toEqual([0, 0x8000, 0, 0])
    expect(halfBits(nextFloat32(2 ** -25, 1), 3 * 2 ** -25)).toEqual([0x0001, 0x0002])
  })

  it("keeps NaN a NaN (and its sign)", () => {
    const [nan, negNan] = halfBits(Number.NaN, -Number.NaN)
    expect(nan! & 0x7c00).toBe(0x7c00)
    expect(nan! & 0x3ff).not.toBe(0)
    const negative = Tensor.toFloat16Bits(new Float32Array(new Uint32Array([0xffc00000]).buffer))
    expect(negative[0]! & 0x8000).toBe(0x8000)
    expect(negNan! & 0x7c00).toBe(0x7c00)
    expect(Tensor.fromFloat16Bits(Uint16Array.of(0x7e00, 0xfe00, 0x7c01)).every(Number.isNaN)).toBe(
      true,
    )
  })

  it("decodes the known bit patterns, -0 included", () => {
    const back = Tensor.fromFloat16Bits(
      Uint16Array.of(0x3c00, 0xc000, 0x7bff, 0x0001, 0x03ff, 0x7c00, 0xfc00, 0x8000, 0x2e66),
    )
    expect(Array.from(back)).toEqual([
      1,
      -2,
      65504,
      2 ** -24,
      1023 * 2 ** -24,
      Infinity,
      -Infinity,
      -0,
      0.0999755859375,
    ])
    expect(Object.is(back[7], -0)).toBe(true)
  })

  it("round-trips every half that is not NaN, bit for bit", () => {
    const all = Uint16Array.from({ length: 0x10000 }, (_, h) => h)
    const notNaN = all.filter((h) => (h & 0x7c00) !== 0x7c00 || (h & 0x3ff) === 0)
    expect(notNaN.length).toBe(0x10000 - 2 * 1023)
    expect(Tensor.toFloat16Bits(Tensor.fromFloat16Bits(notNaN))).toEqual(notNaN)
  })

  it("rounds to nearest, ties to even, between every two adjacent positive halves", () => {
    const mids: Array<number> = []
    const expected: Array<number> = []
    for (let h = 0; h < 0x7bff; h++) {
      const [a, b] = Tensor.fromFloat16Bits(Uint16Array.of(h, h + 1))
      const mid = (a! + b!) / 2 // exact in float32: one bit more than a half
      expect(Math.fround(mid)).toBe(mid)
      mids.push(mid, nextFloat32(mid, -1), nextFloat32(mid, 1))
      expected.push(h % 2 === 0 ? h : h + 1, h, h + 1)
    }
    expect(Array.from(Tensor.toFloat16Bits(Float32Array.from(mids)))).toEqual(expected)
    // By hand: 1 + 2^-11 lies halfway from 0x3c00 (even) to 0x3c01, 1 + 3·2^-11 from 0x3c01 to 0x3c02.
    expect(halfBits(1 + 2 ** -11, 1 + 3 * 2 ** -11)).toEqual([0x3c00, 0x3c02])
  })

  it("reads a Float32Array that is a view at an offset", () => {
    const whole = Float32Array.of(9, 1, -2)
    expect(Array.from(Tensor.toFloat16Bits(whole.subarray(1)))).toEqual([0x3c00, 0xc000])
  })
})

describe("Tensor.float16 / int8 / uint8 / bool", () => {
  it("make tensors of their dtype over the very data given", () => {
    const bits = Tensor.toFloat16Bits(Float32Array.of(0.5, 1))
    const h = Tensor.float16(bits, [1, 2])
    expect(h.dtype).toBe("float16")
    expect(h.data).toBe(bits)
    const i = Tensor.int8(Int8Array.of(-128, 127), [2])
    expect(i.dtype).toBe("int8")
    const u = Tensor.uint8(Uint8Array.of(0, 255), [2])
    expect(u.dtype).toBe("uint8")
    const bytes = Uint8Array.of(1, 0, 1)
    const b = Tensor.bool(bytes, [3])
    expect(b.dtype).toBe("bool")
    expect(b.data).toBe(bytes)
    expect(() => Tensor.int8(new Int8Array(3), [2])).toThrow(TensorShapeError)
  })

  it("bool copies booleans into bytes of 0 and 1", () => {
    const b = Tensor.bool([true, false, true, true], [2, 2])
    expect(b.data).toBeInstanceOf(Uint8Array)
    expect(Array.from(b.data)).toEqual([1, 0, 1, 1])
    expect(b.dims).toEqual([2, 2])
  })

  it("bool rejects bytes other than 0 and 1 with TensorShapeError, naming the first", () => {
    for (const bad of [Uint8Array.of(0, 1, 2), Uint8Array.of(255)]) {
      const error = thrown(() => Tensor.bool(bad, [bad.length]))
      expect(error).toBeInstanceOf(TensorShapeError)
    }
    expect((thrown(() => Tensor.bool(Uint8Array.of(1, 0, 7, 9), [4])) as Error).message).toContain(
      "7 at index 2",
    )
    expect(thrown(() => Tensor.bool([true], [2]))).toBeInstanceOf(TensorShapeError)
  })

  it("zeros makes every dtype, float16 as Uint16Array", () => {
    expect(Tensor.zeros("float16", [2, 3]).data).toBeInstanceOf(Uint16Array)
    expect(Tensor.zeros("float16", [2, 3]).data.length).toBe(6)
    expect(Tensor.zeros("int8", [2]).data).toBeInstanceOf(Int8Array)
    expect(Tensor.zeros("uint8", [2]).data).toBeInstanceOf(Uint8Array)
    expect(Array.from(Tensor.zeros("bool", [2]).data)).toEqual([0, 0])
  })

  it("concat and split keep dtype and bits for float16, int8, uint8 and bool", () => {
    const cases: ReadonlyArray<readonly [Tensor.Tensor, Tensor.Tensor]> = [
      [
        Tensor.float16(Tensor.toFloat16Bits(Float32Array.of(1, -2)), [1, 2]),
        Tensor.float16(Tensor.toFloat16Bits(Float32Array.of(0.1, 65504, -0, 2 ** -24)), [2, 2]),
      ],
      [
        Tensor.int8(Int8Array.of(-128, 5), [1, 2]),
        Tensor.int8(Int8Array.of(127, -1, 0, 3), [2, 2]),
      ],
      [
        Tensor.uint8(Uint8Array.of(0, 255), [1, 2]),
        Tensor.uint8(Uint8Array.of(128, 1, 2, 3), [2, 2]),
      ],
      [Tensor.bool([true, false], [1, 2]), Tensor.bool([false, true, true, true], [2, 2])],
    ]
    const numbers = (t: Tensor.Tensor) => Array.from(t.data as ArrayLike<number>)
    for (const [a, b] of cases) {
      const c = Tensor.concat([a, b])
      expect(c.dtype).toBe(a.dtype)
      expect(c.data).toBeInstanceOf(a.data.constructor)
      expect(c.dims).toEqual([3, 2])
      expect(numbers(c)).toEqual([...numbers(a), ...numbers(b)])
      const [a2, b2] = Tensor.split(c, [1, 2])
      expect(a2!.dtype).toBe(a.dtype)
      expect(a2!.data).toEqual(a.data)
      expect(b2!.data).toEqual(b.data)
    }
    expect(numbers(cases[0]![1])).toEqual([0x2e66, 0x7bff, 0x8000, 0x0001])
  })

  it("concat refuses float16 with uint16, though both are Uint16Array", () => {
    const h = Tensor.float16(Uint16Array.of(0x3c00), [1])
    const u = Tensor.make("uint16", Uint16Array.of(1), [1])
    expect(thrown(() => Tensor.concat<Tensor.DType>([h, u]))).toBeInstanceOf(TensorShapeError)
  })
})

describe("Tensor.concatPadded", () => {
  it("stacks rows of different widths, padding each with zeros to the widest (int64 too)", () => {
    const a = Tensor.make("int64", BigInt64Array.of(1n, 2n, 3n, 4n), [2, 2])
    const b = Tensor.make("int64", BigInt64Array.of(5n, 6n, 7n), [1, 3])
    const stacked = Tensor.concatPadded([a, b])
    expect(stacked.dims).toEqual([3, 3])
    expect(Array.from(stacked.data)).toEqual([1n, 2n, 0n, 3n, 4n, 0n, 5n, 6n, 7n])
  })

  it("refuses tensors that differ in dtype, rank or a middle dim, and rank-1 tensors", () => {
    const f = (dims: Array<number>) =>
      Tensor.make("float32", new Float32Array(dims.reduce((x, y) => x * y, 1)), dims)
    expect(thrown(() => Tensor.concatPadded([f([1, 2, 3]), f([1, 3, 3])]))).toBeInstanceOf(
      TensorShapeError,
    )
    expect(thrown(() => Tensor.concatPadded([f([1, 2]), f([1, 2, 1])]))).toBeInstanceOf(
      TensorShapeError,
    )
    expect(thrown(() => Tensor.concatPadded([f([3])]))).toBeInstanceOf(TensorShapeError)
    expect(thrown(() => Tensor.concatPadded([]))).toBeInstanceOf(TensorShapeError)
  })
})
