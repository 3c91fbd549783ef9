/**
 * The KServe v2 JSON codec on its own: every dtype there and back, the
 * values JSON cannot carry refused with a message saying which, and
 * malformed server answers refused saying what the server sent.
 */
import { Tensor } from "@edgeline/core"
import { describe, expect, it } from "vitest"
import { KServeProtocol, KServeProtocolError } from "../src/index.js"

const tensor = <D extends Tensor.DType>(
  dtype: D,
  data: Tensor.DataTypes[D],
  dims: ReadonlyArray<number>,
): Tensor.Tensor => ({ dtype, data, dims }) as Tensor.Tensor

/** Through JSON text, as on the wire: encode, stringify, parse, decode. */
const roundTrip = (t: Tensor.Tensor): Tensor.Tensor => {
  const json = JSON.parse(JSON.stringify(KServeProtocol.encodeTensor("x", t)))
  return KServeProtocol.decodeTensor(json)
}

const halfBits = (values: ReadonlyArray<number>) => Tensor.toFloat16Bits(Float32Array.from(values))

describe("tensors there and back", () => {
  const cases: ReadonlyArray<readonly [string, Tensor.Tensor]> = [
    ["BOOL", tensor("bool", Uint8Array.of(1, 0, 0, 1), [2, 2])],
    ["UINT8", tensor("uint8", Uint8Array.of(0, 1, 254, 255), [4])],
    ["UINT16", tensor("uint16", Uint16Array.of(0, 65535), [1, 2])],
    ["UINT32", tensor("uint32", Uint32Array.of(0, 4294967295), [2])],
    ["UINT64", tensor("uint64", BigUint64Array.of(0n, 2n ** 53n - 1n), [2])],
    ["INT8", tensor("int8", Int8Array.of(-128, 127), [2])],
    ["INT16", tensor("int16", Int16Array.of(-32768, 32767), [2])],
    ["INT32", tensor("int32", Int32Array.of(-(2 ** 31), 2 ** 31 - 1), [2])],
    ["INT64", tensor("int64", BigInt64Array.of(-(2n ** 53n) + 1n, 16000n, 2n ** 53n - 1n), [3])],
    ["FP16", tensor("float16", halfBits([0, 1.5, -65504, 2 ** -24, -(2 ** -14)]), [5])],
    ["FP32", tensor("float32", Float32Array.of(0.1, -3.4028234663852886e38, 1e-45), [3])],
    ["FP64", tensor("float64", Float64Array.of(0.1, Number.MAX_VALUE, 5e-324), [3])],
  ]

  it("covers every Edgeline dtype", () => {
    expect(cases.map(([datatype]) => datatype).sort()).toEqual(
      Object.values(KServeProtocol.datatypeOf).sort(),
    )
  })

  it.each(cases)("%s: same dtype, dims and values, bit for bit", (datatype, t) => {
    expect(KServeProtocol.encodeTensor("x", t).datatype).toBe(datatype)
    const back = roundTrip(t)
    expect(back.dtype).toBe(t.dtype)
    expect(back.dims).toEqual(t.dims)
    expect(back.data.constructor).toBe(t.data.constructor)
    expect(Array.from(back.data as ArrayLike<unknown>)).toEqual(
      Array.from(t.data as ArrayLike<unknown>),
    )
  })

  it("a scalar (dims []) is one value with shape []", () => {
    const sr = tensor("int64", BigInt64Array.of(16000n), [])
    expect(KServeProtocol.encodeTensor("sr", sr)).toEqual({
      name: "sr",
      shape: [],
      datatype: "INT64",
      data: [16000],
    })
    expect(roundTrip(sr).dims).toEqual([])
  })

  it("BOOL goes as JSON booleans, FP16 as the numbers its bits stand for", () => {
    const bools = KServeProtocol.encodeTensor("b", tensor("bool", Uint8Array.of(0, 1, 2), [3]))
    expect(bools.data).toEqual([false, true, true])
    const halves = tensor("float16", Uint16Array.of(0x3c00, 0xc000, 0x0001), [3])
    expect(KServeProtocol.encodeTensor("h", halves).data).toEqual([1, -2, 2 ** -24])
  })

  it("-0 arrives as 0: JSON numbers have no negative zero", () => {
    expect(Object.is(roundTrip(tensor("float32", Float32Array.of(-0), [1])).data[0], 0)).toBe(true)
  })

  it("decodes nested row-major data, as the protocol allows", () => {
    const t = KServeProtocol.decodeTensor({
      name: "y",
      shape: [2, 2],
      datatype: "FP32",
      data: [
        [1, 2],
        [3, 4],
      ],
    })
    expect(Array.from(t.data as Float32Array)).toEqual([1, 2, 3, 4])
  })

  it("an FP16 number from the server is rounded to the nearest half", () => {
    const t = KServeProtocol.decodeTensor({ name: "h", shape: [1], datatype: "FP16", data: [0.1] })
    expect(t.data[0]).toBe(0x2e66)
    expect(Tensor.fromFloat16Bits(t.data as Uint16Array)[0]).toBeCloseTo(0.1, 3)
  })
})

describe("what JSON cannot carry is refused", () => {
  const refusal = (f: () => unknown): KServeProtocolError => {
    try {
      f()
    } catch (e) {
      expect(e).toBeInstanceOf(KServeProtocolError)
      return e as KServeProtocolError
    }
    throw new Error("expected a KServeProtocolError")
  }

  it("an INT64 beyond 2^53 - 1, naming the input and the element", () => {
    const e = refusal(() =>
      KServeProtocol.encodeTensor("ids", tensor("int64", BigInt64Array.of(1n, 2n ** 53n), [2])),
    )
    expect(e.message).toMatch(/input "ids" \(int64\).*element 1 is 9007199254740992n/)
    expect(e.message).toMatch(/2\^53/)
  })

  it("NaN and Infinity", () => {
    expect(
      refusal(() =>
        KServeProtocol.encodeTensor("x", tensor("float32", Float32Array.of(1, NaN), [2])),
      ).message,
    ).toMatch(/input "x" \(float32\).*element 1 is NaN.*JSON has no NaN or Infinity/)
    expect(
      refusal(() =>
        KServeProtocol.encodeTensor("h", tensor("float16", Uint16Array.of(0x7c00), [1])),
      ).message,
    ).toMatch(/input "h" \(float16\).*element 0 is Infinity/)
  })

  it("an INT64 from the server beyond the safe range", () => {
    const e = refusal(() =>
      KServeProtocol.decodeTensor({ name: "n", shape: [1], datatype: "INT64", data: [2 ** 60] }),
    )
    expect(e.message).toMatch(
      /output "n" \(INT64, shape \[1\]\): element 0 is 1152921504606847000, expected an integer in \[-9007199254740991, 9007199254740991\]/,
    )
  })
})

describe("bad tensors from the server are refused, saying what was sent", () => {
  const decodeError = (json: Parameters<typeof KServeProtocol.decodeTensor>[0]) => {
    try {
      KServeProtocol.decodeTensor(json)
    } catch (e) {
      expect(e).toBeInstanceOf(KServeProtocolError)
      return (e as Error).message
    }
    throw new Error("expected a KServeProtocolError")
  }

  it.each([
    [
      "too few values",
      { name: "y", shape: [2, 2], datatype: "FP32", data: [1, 2, 3] },
      /output "y" \(FP32, shape \[2,2\]\): the shape needs 4 values, the server sent 3/,
    ],
    [
      "a string for a number",
      { name: "y", shape: [2], datatype: "FP32", data: [1, "2"] },
      /element 1 is "2", expected a number/,
    ],
    [
      "a fraction for an integer",
      { name: "y", shape: [1], datatype: "INT32", data: [1.5] },
      /element 0 is 1.5, expected an integer in \[-2147483648, 2147483647\]/,
    ],
    [
      "an UINT8 out of range",
      { name: "y", shape: [1], datatype: "UINT8", data: [256] },
      /element 0 is 256, expected an integer in \[0, 255\]/,
    ],
    [
      "a number for a BOOL",
      { name: "y", shape: [1], datatype: "BOOL", data: [1] },
      /element 0 is 1, expected true or false/,
    ],
    [
      "an FP32 beyond float32",
      { name: "y", shape: [1], datatype: "FP32", data: [1e300] },
      /element 0 is 1e\+300, expected a number within FP32's range/,
    ],
    [
      "BYTES",
      { name: "y", shape: [1], datatype: "BYTES", data: ["hi"] },
      /datatype "BYTES" has no Edgeline dtype \(known: BOOL, UINT8/,
    ],
  ] as const)("%s", (_, json, message) => {
    expect(decodeError(json)).toMatch(message)
  })
})

describe("server answers", () => {
  const metadata = {
    name: "silero_vad_v5",
    versions: ["5"],
    platform: "onnxruntime_onnx",
    inputs: [{ name: "input", datatype: "FP32", shape: [-1, 576] }],
    outputs: [{ name: "output", datatype: "FP32", shape: [-1, 1] }],
  }

  it("model metadata is read, dynamic dims as -1", () => {
    expect(KServeProtocol.decodeModelMetadata(JSON.stringify(metadata))).toEqual(metadata)
  })

  it("metadata without platform or versions is still read (some servers leave them out)", () => {
    const { platform: _, versions: __, ...bare } = metadata
    expect(KServeProtocol.decodeModelMetadata(JSON.stringify(bare)).inputs).toEqual(metadata.inputs)
  })

  it("malformed metadata names the field and shows what was sent", () => {
    const bad = JSON.stringify({ ...metadata, inputs: [{ name: "input", shape: [1] }] })
    expect(() => KServeProtocol.decodeModelMetadata(bad)).toThrow(
      /the server's model metadata is not a KServe v2 one: Missing key at \["inputs"\]\[0\]\["datatype"\]; it sent \{"name":"silero_vad_v5"/,
    )
    expect(() => KServeProtocol.decodeModelMetadata("<html>Bad Gateway</html>")).toThrow(
      /the server's model metadata is not JSON: "<html>Bad Gateway<\/html>"/,
    )
  })

  it("an inference response's outputs become tensors", () => {
    const response = KServeProtocol.decodeInferResponse(
      JSON.stringify({
        model_name: "m",
        model_version: "5",
        outputs: [
          { name: "output", datatype: "FP32", shape: [1, 1], data: [0.25] },
          { name: "flag", datatype: "BOOL", shape: [1], data: [true] },
        ],
      }),
    )
    expect(response.modelName).toBe("m")
    expect(response.modelVersion).toBe("5")
    expect(response.outputs.output).toEqual({
      dtype: "float32",
      dims: [1, 1],
      data: Float32Array.of(0.25),
    })
    expect(response.outputs.flag!.data).toEqual(Uint8Array.of(1))
  })

  it("an inference response without outputs, or with a negative dim, is refused", () => {
    expect(() => KServeProtocol.decodeInferResponse(JSON.stringify({ model_name: "m" }))).toThrow(
      /inference response is not a KServe v2 one: Missing key at \["outputs"\]/,
    )
    expect(() =>
      KServeProtocol.decodeInferResponse(
        JSON.stringify({
          model_name: "m",
          outputs: [{ name: "y", datatype: "FP32", shape: [-1], data: [] }],
        }),
      ),
    ).toThrow(/Expected a value greater than or equal to 0 at \["outputs"\]\[0\]\["shape"\]\[0\]/)
  })

  it("an error body gives its message; anything else gives undefined", () => {
    expect(KServeProtocol.errorMessage('{"error":"model not found"}')).toBe("model not found")
    expect(KServeProtocol.errorMessage('{"message":"x"}')).toBeUndefined()
    expect(KServeProtocol.errorMessage("not json")).toBeUndefined()
  })

  it("an infer request holds every feed", () => {
    const request = KServeProtocol.inferRequest({
      input: tensor("float32", new Float32Array(2), [1, 2]),
      sr: tensor("int64", BigInt64Array.of(16000n), []),
    })
    expect(request.inputs.map((i) => [i.name, i.datatype, i.shape])).toEqual([
      ["input", "FP32", [1, 2]],
      ["sr", "INT64", []],
    ])
  })

  it("paths escape names and add the version when given", () => {
    expect(KServeProtocol.inferPath("a/b c")).toBe("/v2/models/a%2Fb%20c/infer")
    expect(KServeProtocol.readyPath("m", "5")).toBe("/v2/models/m/versions/5/ready")
    expect(KServeProtocol.modelPath("m")).toBe("/v2/models/m")
  })
})
