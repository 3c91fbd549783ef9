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
