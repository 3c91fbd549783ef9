/**
 * The KServe v2 inference protocol (the Open Inference Protocol) in its REST
 * JSON form, as Triton, OpenVINO Model Server and Seldon MLServer speak it:
 * the endpoints, Edgeline tensors ↔ JSON tensors, and the server's answers
 * checked before use. No I/O here: `KServeClient` sends what this builds.
 *
 * JSON carries every element as a number (or a boolean for BOOL), so:
 * - INT64 / UINT64 go through `Number`, and only safe integers (|v| ≤ 2^53 − 1)
 *   cross, either way; a larger one is an error, never a silently wrong value.
 * - FP16 values are numbers in JSON and half bits in an Edgeline tensor.
 * - NaN and ±Infinity have no JSON form, so a tensor holding one is refused;
 *   -0 is written as 0 (JSON numbers have no negative zero).
 *
 * @example
 * ```ts
 * import { Tensor } from "@edgeline/core"
 * import { KServeProtocol } from "@edgeline/backend-kserve"
 * const body = KServeProtocol.inferRequest({ x: Tensor.float32(Float32Array.of(1, 2), [1, 2]) })
 * // { inputs: [{ name: "x", shape: [1, 2], datatype: "FP32", data: [1, 2] }] }
 * ```
 */
import { Tensor } from "@edgeline/core"
import { Result, Schema } from "effect"
import { KServeProtocolError } from "./Errors.js"

// ---- Endpoints -------------------------------------------------------------

/** `GET`: 200 when the server is ready for inference. */
export const serverReadyPath = "/v2/health/ready"

/** `GET`: the model's metadata; without a version, the server's choice of version. */
export const modelPath = (name: string, version?: string | undefined): string =>
  `/v2/models/${encodeURIComponent(name)}${version === undefined ? "" : `/versions/${encodeURIComponent(version)}`}`

/** `GET`: 200 when the model (version) is ready. */
export const readyPath = (name: string, version?: string | undefined): string =>
  `${modelPath(name, version)}/ready`

/** `POST`: an inference request. */
export const inferPath = (name: string, version?: string | undefined): string =>
  `${modelPath(name, version)}/infer`

// ---- Datatypes -------------------------------------------------------------

/** The protocol's tensor datatypes that Edgeline tensors have. (BYTES and BF16 have no Edgeline dtype.) */
export type Datatype =
  | "BOOL"
  | "UINT8"
  | "UINT16"
  | "UINT32"
  | "UINT64"
  | "INT8"
  | "INT16"
  | "INT32"
  | "INT64"
  | "FP16"
  | "FP32"
  | "FP64"

/** Each Edgeline dtype's datatype on the wire. */
export const datatypeOf: { readonly [D in Tensor.DType]: Datatype } = {
  bool: "BOOL",
  uint8: "UINT8",
  uint16: "UINT16",
  uint32: "UINT32",
  uint64: "UINT64",
  int8: "INT8",
  int16: "INT16",
  int32: "INT32",
  int64: "INT64",
  float16: "FP16",
  float32: "FP32",
  float64: "FP64",
}

const dtypes = new Map<string, Tensor.DType>(
  Object.entries(datatypeOf).map(([dtype, datatype]) => [datatype, dtype as Tensor.DType]),
)

/** The Edgeline dtype of a wire datatype, or `undefined` for one Edgeline has not (BYTES, BF16). */
export const dtypeOf = (datatype: string): Tensor.DType | undefined => dtypes.get(datatype)

/** Integer ranges of the datatypes JSON numbers carry exactly; 64-bit ones are cut to the safe range. */
const INTEGER_RANGES: Partial<Record<Datatype, readonly [number, number]>> = {
  UINT8: [0, 0xff],
  UINT16: [0, 0xffff],
  UINT32: [0, 0xffffffff],
  UINT64: [0, Number.MAX_SAFE_INTEGER],
  INT8: [-0x80, 0x7f],
  INT16: [-0x8000, 0x7fff],
  INT32: [-0x80000000, 0x7fffffff],
  INT64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
}

const ARRAYS: { readonly [D in Tensor.DType]: new (length: number) => Tensor.DataTypes[D] } = {
  bool: Uint8Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  uint64: BigUint64Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  float16: Uint16Array,
  float32: Float32Array,
  float64: Float64Array,
}

// ---- Tensors ---------------------------------------------------------------

/** A tensor as the protocol writes it: row-major `data`, flat here. */
export interface JsonTensor {
  readonly name: string
  readonly shape: ReadonlyArray<number>
  readonly datatype: string
  readonly data: ReadonlyArray<number | boolean>
}

const shown = (value: unknown): string => {
  const text =
    typeof value === "bigint"
      ? `${value}n`
      : typeof value === "number"
        ? String(value) // JSON.stringify would show NaN as null
        : JSON.stringify(value)
  return text === undefined ? String(value) : text.length > 40 ? `${text.slice(0, 40)}…` : text
}

/** One Edgeline tensor as a JSON tensor; throws when a value has no exact JSON form. */
export const encodeTensor = (name: string, tensor: Tensor.Tensor): JsonTensor => {
  const datatype = datatypeOf[tensor.dtype]
  if (datatype === undefined) {
    throw new KServeProtocolError({
      message: `input "${name}" has dtype ${tensor.dtype}, which the KServe v2 protocol has no datatype for`,
    })
  }
  const source = tensor.data
  const data = new Array<number | boolean>(source.length)
  const refuse = (i: number, value: unknown, why: string): never => {
    throw new KServeProtocolError({
      message: `input "${name}" (${tensor.dtype}) cannot be sent as KServe v2 JSON: element ${i} is ${shown(value)}, ${why}`,
    })
  }
  if (datatype === "BOOL") {
    for (let i = 0; i < source.length; i++) data[i] = source[i] !== 0
  } else if (datatype === "INT64" || datatype === "UINT64") {
    for (let i = 0; i < source.length; i++) {
      const value = Number(source[i] as bigint)
      if (!Number.isSafeInteger(value)) {
        refuse(i, source[i], "beyond ±(2^53 − 1), where JSON numbers stop being exact")
      }
      data[i] = value
    }
  } else {
    // Half bits go as the numbers they stand for.
    const values =
      datatype === "FP16"
        ? Tensor.fromFloat16Bits(source as Uint16Array)
        : (source as Float32Array | Float64Array | Int32Array)
    for (let i = 0; i < values.length; i++) {
      const value = values[i]!
      if (!Number.isFinite(value)) refuse(i, value, "and JSON has no NaN or Infinity")
      data[i] = value
    }
  }
  return { name, shape: [...tensor.dims], datatype, data }
}

/** Flattens nested `data` (the protocol allows row-major nesting); flat data is returned as is. */
const flatten = (data: ReadonlyArray<unknown>): ReadonlyArray<unknown> =>
  data.some(Array.isArray) ? (data as Array<unknown>).flat(Number.POSITIVE_INFINITY) : data

/** One JSON tensor from the server as an Edgeline tensor; throws, saying what the server sent. */
export const decodeTensor = (json: {
  readonly name: string
  readonly shape: ReadonlyArray<number>
  readonly datatype: string
  readonly data: ReadonlyArray<unknown>
}): Tensor.Tensor => {
  const { name, shape, datatype } = json
  const what = `output "${name}" (${datatype}, shape [${shape}])`
  const dtype = dtypeOf(datatype)
  if (dtype === undefined) {
    throw new KServeProtocolError({
      message: `${what}: datatype ${shown(datatype)} has no Edgeline dtype (known: ${[...dtypes.keys()].join(", ")})`,
    })
  }
  const values = flatten(json.data)
  const size = shape.reduce((n, d) => n * d, 1)
  if (values.length !== size) {
    throw new KServeProtocolError({
      message: `${what}: the shape needs ${size} values, the server sent ${values.length}`,
    })
  }
  const refuse = (i: number, expected: string): never => {
    throw new KServeProtocolError({
      message: `${what}: element ${i} is ${shown(values[i])}, expected ${expected}`,
    })
  }
  const data = new ARRAYS[dtype](size)
  const range = INTEGER_RANGES[datatype as Datatype]
  if (datatype === "BOOL") {
    const out = data as Uint8Array
    for (let i = 0; i < size; i++) {
      const value = values[i]
      if (typeof value !== "boolean") refuse(i, "true or false")
      out[i] = value ? 1 : 0
    }
  } else if (range !== undefined) {
    const [min, max] = range
    const wide = datatype === "INT64" || datatype === "UINT64"
    const expected = wide
      ? `an integer in [${min}, ${max}] (a 64-bit value beyond that cannot be exact in JSON)`
      : `an integer in [${min}, ${max}]`
    for (let i = 0; i < size; i++) {
      const value = values[i]
      if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
        refuse(i, expected)
      }
      if (wide) (data as BigInt64Array | BigUint64Array)[i] = BigInt(value as number)
      else (data as Int32Array)[i] = value as number
    }
  } else {
    // A number too large for the datatype would become Infinity: refused like a wrong type.
    const fits = {
      FP16: (v: number) => Math.abs(Math.fround(v)) < 65520,
      FP32: (v: number) => Number.isFinite(Math.fround(v)),
    }[datatype as "FP16" | "FP32"]
    const expected = fits === undefined ? "a number" : `a number within ${datatype}'s range`
    // FP16 numbers are gathered as float32, then rounded to half bits at once.
    const out = datatype === "FP16" ? new Float32Array(size) : (data as Float32Array | Float64Array)
    for (let i = 0; i < size; i++) {
      const value = values[i]
      if (typeof value !== "number" || (fits !== undefined && !fits(value))) refuse(i, expected)
      out[i] = value as number
    }
    if (datatype === "FP16") return Tensor.float16(Tensor.toFloat16Bits(out as Float32Array), shape)
  }
  return Tensor.make(dtype, data, shape)
}

// ---- Requests --------------------------------------------------------------

export interface InferRequest {
  readonly inputs: ReadonlyArray<JsonTensor>
}

/** The body of `POST …/infer` for these feeds; the server returns every output. */
export const inferRequest = (feeds: Tensor.Feeds): InferRequest => ({
  inputs: Object.entries(feeds).map(([name, tensor]) => encodeTensor(name, tensor)),
})

// ---- Responses -------------------------------------------------------------

const Dim = Schema.Int
const Parameters = Schema.Record(Schema.String, Schema.Unknown)

const ResponseTensor = Schema.Struct({
  name: Schema.String,
  shape: Schema.Array(Dim.check(Schema.isGreaterThanOrEqualTo(0))),
  datatype: Schema.String,
  parameters: Schema.optionalKey(Parameters),
  data: Schema.Array(Schema.Unknown),
})

const InferResponseSchema = Schema.Struct({
  model_name: Schema.String,
  model_version: Schema.optionalKey(Schema.String),
  id: Schema.optionalKey(Schema.String),
  parameters: Schema.optionalKey(Parameters),
  outputs: Schema.Array(ResponseTensor),
})

/** An input or output as model metadata describes it; -1 marks a dim of any size. */
const MetadataTensor = Schema.Struct({
  name: Schema.String,
  datatype: Schema.String,
  shape: Schema.Array(Dim.check(Schema.isGreaterThanOrEqualTo(-1))),
})

const ModelMetadataSchema = Schema.Struct({
  name: Schema.String,
  versions: Schema.optionalKey(Schema.Array(Schema.String)),
  // Required by the spec, but some servers leave it out.
  platform: Schema.optionalKey(Schema.String),
  inputs: Schema.Array(MetadataTensor),
  outputs: Schema.Array(MetadataTensor),
})

const ErrorSchema = Schema.Struct({ error: Schema.String })

export type ModelMetadata = typeof ModelMetadataSchema.Type

export interface InferResponse {
  readonly modelName: string
  readonly modelVersion: string | undefined
  readonly outputs: Tensor.Feeds
}

/** What the server sent, short enough for an error message. */
export const excerpt = (text: string, max = 200): string =>
  text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text

/**
 * Parses a response body and checks it against `schema`; throws a
 * `KServeProtocolError` naming what was expected (`what`), what was wrong
 * and an excerpt of the body.
 */
const decodeBody = <S extends Schema.Decoder<unknown>>(
  schema: S,
  what: string,
  text: string,
): S["Type"] => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new KServeProtocolError({
      message: `the server's ${what} is not JSON: ${JSON.stringify(excerpt(text))}`,
    })
  }
  const result = Schema.decodeUnknownResult(schema)(json)
  if (Result.isSuccess(result)) return result.success
  throw new KServeProtocolError({
    message: `the server's ${what} is not a KServe v2 one: ${result.failure.message.replace(/\n\s*/g, " ")}; it sent ${excerpt(text)}`,
  })
}

/** The body of a `GET /v2/models/{name}` answer. */
export const decodeModelMetadata = (text: string): ModelMetadata =>
  decodeBody(ModelMetadataSchema, "model metadata", text)

/** The body of a `POST …/infer` answer, its outputs as Edgeline tensors. */
export const decodeInferResponse = (text: string): InferResponse => {
  const body = decodeBody(InferResponseSchema, "inference response", text)
  const outputs: Record<string, Tensor.Tensor> = {}
  for (const output of body.outputs) outputs[output.name] = decodeTensor(output)
  return { modelName: body.model_name, modelVersion: body.model_version, outputs }
}

/** The message of an error body `{ "error": "…" }`, or `undefined` when the body is not one. */
export const errorMessage = (text: string): string | undefined => {
  try {
    const result = Schema.decodeUnknownResult(ErrorSchema)(JSON.parse(text))
    return Result.isSuccess(result) ? result.success.error : undefined
  } catch {
    return undefined
  }
}
