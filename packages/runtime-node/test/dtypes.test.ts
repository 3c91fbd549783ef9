/**
 * The dtypes of quantized and half-precision models, on tiny graphs made at
 * test time: each runs through onnxruntime-node directly (what ORT itself
 * gives) and through Edgeline (`NodeRuntime.layer()` + `Model.session`),
 * whose tensors must carry the same bits under core's dtype names.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Model, ModelRef, Tensor } from "@edgeline/core"
import { Effect } from "effect"
import * as ort from "onnxruntime-node"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ModelSources, NodeRuntime } from "../src/index.js"
import * as onnxModels from "./support/onnxModels.js"

let tmp: string
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "edgeline-dtypes-"))
})
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true })
})

/** Runs the model's bytes once in onnxruntime-node; returns output "y". */
const viaOrt = async (
  bytes: Uint8Array,
  feeds: Record<string, ort.Tensor>,
): Promise<ort.Tensor> => {
  const session = await ort.InferenceSession.create(bytes)
  try {
    return (await session.run(feeds)).y!
  } finally {
    await session.release()
  }
}

/** Writes the model to a file and runs it once through Edgeline; returns output "y". */
const viaEdgeline = async (
  name: string,
  bytes: Uint8Array,
  feeds: Tensor.Feeds,
): Promise<Tensor.Tensor> => {
  const path = join(tmp, `${name}.onnx`)
  await writeFile(path, bytes)
  const out = await Effect.runPromise(
    Effect.gen(function* () {
      const session = yield* Model.session(ModelRef.make(name, ModelSources.fileUri(path)))
      return yield* session.run(feeds)
    }).pipe(Effect.scoped, Effect.provide(NodeRuntime.layer())),
  )
  return out.y!
}

/** The same feeds as ORT tensors (core's dtype names are ORT's). */
const ortFeeds = (feeds: Tensor.Feeds): Record<string, ort.Tensor> =>
  Object.fromEntries(
    Object.entries(feeds).map(([name, t]) => [
      name,
      new ort.Tensor(t.dtype as "float32", t.data as Float32Array, t.dims),
    ]),
  )

/** Runs both ways; checks both give `dtype`, `dims` and data of `Array`'s class with these values. */
const both = async (
  name: string,
  bytes: Uint8Array,
  feeds: Tensor.Feeds,
  expected: { dtype: Tensor.DType; dims: ReadonlyArray<number>; data: ArrayLike<number> },
) => {
  const ortOut = await viaOrt(bytes, ortFeeds(feeds))
  const ours = await viaEdgeline(name, bytes, feeds)
  for (const y of [ortOut, ours]) {
    expect(y.dims).toEqual(expected.dims)
    expect(y.data).toBeInstanceOf(expected.data.constructor)
    expect(Array.from(y.data as ArrayLike<number>)).toEqual(Array.from(expected.data))
  }
  expect(ortOut.type).toBe(expected.dtype)
  expect(ours.dtype).toBe(expected.dtype)
  return ours
}

const f32 = (...values: Array<number>) => Float32Array.from(values)

describe("float16", () => {
  it("Cast float32 → float16 gives the IEEE half bits as a Uint16Array (1.0 is 0x3c00)", async () => {
    const x = f32(1, -2, 65504, 65520, 0.1, 2 ** -24, -0, 0.5)
    const y = await both(
      "cast-to-f16",
      onnxModels.cast("float32", "float16", [8]),
      { x: Tensor.float32(x, [8]) },
      {
        dtype: "float16",
        dims: [8],
        data: Uint16Array.of(0x3c00, 0xc000, 0x7bff, 0x7c00, 0x2e66, 0x0001, 0x8000, 0x3800),
      },
    )
    expect(Tensor.fromFloat16Bits(y.data as Uint16Array)).toEqual(
      f32(1, -2, 65504, Infinity, 0.0999755859375, 2 ** -24, -0, 0.5),
    )
  })

  it("ORT's Cast rounds float32 → float16 exactly as Tensor.toFloat16Bits, ties and subnormals too", async () => {
    // Each midpoint between two adjacent positive halves, and a float32 either side of it.
    const halves = Tensor.fromFloat16Bits(Uint16Array.from({ length: 0x7bff + 1 }, (_, h) => h))
    const words = new Uint32Array(1)
    const step = (x: number, by: number) => {
      words[0] = new Uint32Array(f32(x).buffer)[0]! + by
      return new Float32Array(words.buffer)[0]!
    }
    const values: Array<number> = []
    for (let h = 0; h < 0x7bff; h++) {
      const mid = (halves[h]! + halves[h + 1]!) / 2
      values.push(mid, step(mid, -1), step(mid, 1), -mid)
    }
    values.push(65519.99, 65520, 1e-8, -3e-8, 2 ** -25, Number.NaN)
    const x = Float32Array.from(values)
    const y = await viaOrt(onnxModels.cast("float32", "float16", [x.length]), {
      x: new ort.Tensor("float32", x, [x.length]),
    })
    const ours = Tensor.toFloat16Bits(x)
    const theirs = y.data as Uint16Array
    expect(Array.from(theirs.subarray(0, -1))).toEqual(Array.from(ours.subarray(0, -1)))
    const halfIsNaN = (h: number) => (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0
    expect([halfIsNaN(theirs.at(-1)!), halfIsNaN(ours.at(-1)!)]).toEqual([true, true])
  })

  it("ORT's Cast float16 → float32 reads all 65536 bit patterns as Tensor.fromFloat16Bits does", async () => {
    const bits = Uint16Array.from({ length: 0x10000 }, (_, h) => h)
    const y = await viaEdgeline("cast-from-f16", onnxModels.cast("float16", "float32", [0x10000]), {
      x: Tensor.float16(bits, [0x10000]),
    })
    expect(y.dtype).toBe("float32")
    const theirs = y.data as Float32Array
    const ours = Tensor.fromFloat16Bits(bits)
    const differ = ours.findIndex(
      (v, i) => !(Object.is(v, theirs[i]) || (Number.isNaN(v) && Number.isNaN(theirs[i]))),
    )
    expect(differ).toBe(-1)
  })

  it("Add on float16 in and out: 1+1 = 2, 0.5+0.25, 65504+65504 = Infinity; its output feeds back in", async () => {
    const bytes = onnxModels.add("float16", [3])
    const a = Tensor.float16(Tensor.toFloat16Bits(f32(1, 0.5, 65504)), [3])
    const b = Tensor.float16(Tensor.toFloat16Bits(f32(1, 0.25, 65504)), [3])
    await both(
      "add-f16",
      bytes,
      { a, b },
      {
        dtype: "float16",
        dims: [3],
        data: Uint16Array.of(0x4000, 0x3a00, 0x7c00),
      },
    )
    // An Edgeline output (an ORT-backed tensor) fed straight back in: y + y.
    const path = join(tmp, "add-f16-twice.onnx")
    await writeFile(path, bytes)
    const twice = await Effect.runPromise(
      Effect.gen(function* () {
        const session = yield* Model.session(
          ModelRef.make("add-f16-twice", ModelSources.fileUri(path)),
        )
        const { y } = yield* session.run({ a, b })
        return (yield* session.run({ a: y!, b: y! })).y!
      }).pipe(Effect.scoped, Effect.provide(NodeRuntime.layer())),
    )
    expect(twice.dtype).toBe("float16")
    expect(Array.from(Tensor.fromFloat16Bits(twice.data as Uint16Array))).toEqual([
      4,
      1.5,
      Infinity,
    ])
  })

  it("Identity keeps float16 bits, NaN and -0 included", async () => {
    const bits = Uint16Array.of(0x7e00, 0x8000, 0x0001, 0xfbff)
    await both(
      "identity-f16",
      onnxModels.identity("float16", [2, 2]),
      { x: Tensor.float16(bits, [2, 2]) },
      { dtype: "float16", dims: [2, 2], data: bits },
    )
  })

  it("warmup: true feeds float16 zeros from the model's input metadata", async () => {
    const path = join(tmp, "warm-f16.onnx")
    await writeFile(path, onnxModels.identity("float16", [2]))
    const session = await Effect.runPromise(
      Model.session(ModelRef.make("warm-f16", ModelSources.fileUri(path)), { warmup: true }).pipe(
        Effect.scoped,
        Effect.provide(NodeRuntime.layer()),
      ),
    )
    expect(session.inputNames).toEqual(["x"])
  })
})

describe("int8 / uint8 (quantized)", () => {
  it("QuantizeLinear float32 → uint8 rounds half to even and saturates", async () => {
    // scale 0.5, zero point 128: x / 0.5 + 128, ties to even, clamped to [0, 255].
    const x = f32(0, 0.5, 1.25, 1.75, -64, -70, 100)
    await both(
      "quantize-u8",
      onnxModels.quantize("uint8", 0.5, 128, [7]),
      { x: Tensor.float32(x, [7]) },
      { dtype: "uint8", dims: [7], data: Uint8Array.of(128, 129, 130, 132, 0, 0, 255) },
    )
  })

  it("QuantizeLinear with scale 1/255, zero point 0: 0.5 → 127, as 1/255 is a float32 just above it", async () => {
    // 0.5 / fround(1/255) = 127.49999…, below the tie that an exact 1/255 would give (→ 128).
    await both(
      "quantize-u8-255",
      onnxModels.quantize("uint8", 1 / 255, 0, [4]),
      { x: Tensor.float32(f32(0, 0.5, 1, 0.5 + 1 / 512), [4]) },
      { dtype: "uint8", dims: [4], data: Uint8Array.of(0, 127, 255, 128) },
    )
    await both(
      "quantize-u8-256",
      onnxModels.quantize("uint8", 1 / 256, 0, [1]),
      { x: Tensor.float32(f32(0.5), [1]) },
      { dtype: "uint8", dims: [1], data: Uint8Array.of(128) },
    )
  })

  it("QuantizeLinear float32 → int8 with a negative zero point", async () => {
    const x = f32(0, 1.25, -1.25, 100, -100)
    await both(
      "quantize-i8",
      onnxModels.quantize("int8", 0.5, -3, [5]),
      { x: Tensor.float32(x, [5]) },
      { dtype: "int8", dims: [5], data: Int8Array.of(-3, -1, -5, 127, -128) },
    )
  })

  it("DequantizeLinear uint8 / int8 → float32: (q - zero point) × scale", async () => {
    await both(
      "dequantize-u8",
      onnxModels.dequantize("uint8", 0.5, 128, [4]),
      { x: Tensor.uint8(Uint8Array.of(0, 128, 130, 255), [4]) },
      { dtype: "float32", dims: [4], data: f32(-64, 0, 1, 63.5) },
    )
    await both(
      "dequantize-i8",
      onnxModels.dequantize("int8", 0.25, -3, [3]),
      { x: Tensor.int8(Int8Array.of(-128, -3, 127), [3]) },
      { dtype: "float32", dims: [3], data: f32(-31.25, 0, 32.5) },
    )
  })

  it("Add on int8 and on uint8 in and out", async () => {
    await both(
      "add-i8",
      onnxModels.add("int8", [3]),
      {
        a: Tensor.int8(Int8Array.of(100, -100, 1), [3]),
        b: Tensor.int8(Int8Array.of(27, -28, -2), [3]),
      },
      { dtype: "int8", dims: [3], data: Int8Array.of(127, -128, -1) },
    )
    await both(
      "add-u8",
      onnxModels.add("uint8", [1, 2]),
      {
        a: Tensor.uint8(Uint8Array.of(200, 0), [1, 2]),
        b: Tensor.uint8(Uint8Array.of(55, 1), [1, 2]),
      },
      { dtype: "uint8", dims: [1, 2], data: Uint8Array.of(255, 1) },
    )
  })
})

describe("bool", () => {
  it("Greater gives a bool tensor of 0/1 bytes", async () => {
    await both(
      "greater",
      onnxModels.greater([3]),
      {
        a: Tensor.float32(f32(1, 2, 3), [3]),
        b: Tensor.float32(f32(2, 2, 1), [3]),
      },
      { dtype: "bool", dims: [3], data: Uint8Array.of(0, 0, 1) },
    )
  })

  it("Not takes Tensor.bool from booleans and gives bool back", async () => {
    await both(
      "not",
      onnxModels.not([2, 2]),
      { x: Tensor.bool([true, false, false, true], [2, 2]) },
      { dtype: "bool", dims: [2, 2], data: Uint8Array.of(0, 1, 1, 0) },
    )
  })
})

describe("onnxModels.constantAdd", () => {
  it("bakes c in: y = x + c, float32 [1] → [1]", async () => {
    await both(
      "constant-add-41",
      onnxModels.constantAdd(41),
      { x: Tensor.float32(f32(1), [1]) },
      { dtype: "float32", dims: [1], data: f32(42) },
    )
    const other = await viaOrt(onnxModels.constantAdd(-0.5), {
      x: new ort.Tensor("float32", f32(1), [1]),
    })
    expect(Array.from(other.data as Float32Array)).toEqual([0.5])
  })
})
