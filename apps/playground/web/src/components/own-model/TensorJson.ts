/**
 * A tensor map typed as JSON, checked against the model's signature so a
 * mistake is named before the engine sees it. Per input name, any of:
 * - `{ "dims": [1, 3], "data": [0.1, 0.2, 0.3] }`
 * - `{ "dims": [2, 1, 128], "data": 0 }`: one number fills the tensor;
 * - a nested array (`[[0.1, 0.2, 0.3]]`): dims from its nesting;
 * - a number: a scalar (dims `[]`).
 * The element type is the model's; every declared input must be given.
 */
import { type InferenceBackend, Tensor } from "@edgeline/core"
import { dimText } from "./OwnModelSetup.js"

export class TensorJsonError extends Error {
  readonly _tag = "TensorJsonError"
}

const fail = (message: string): never => {
  throw new TensorJsonError(message)
}

const isRecord = (x: unknown): x is Record<string, unknown> =>
  typeof x === "object" && x !== null && !Array.isArray(x)

/** Dims and flat values of a nested array; ragged nesting is refused. */
const flatten = (name: string, value: unknown): { dims: Array<number>; data: Array<unknown> } => {
  if (!Array.isArray(value)) return { dims: [], data: [value] }
  if (value.length === 0) return { dims: [0], data: [] }
  const parts = value.map((v) => flatten(name, v))
  const inner = JSON.stringify(parts[0]!.dims)
  if (parts.some((p) => JSON.stringify(p.dims) !== inner)) {
    fail(`"${name}": the nested arrays have different lengths; a tensor's rows must all be as long`)
  }
  return { dims: [value.length, ...parts[0]!.dims], data: parts.flatMap((p) => p.data) }
}

const given = (name: string, value: unknown): { dims: Array<number>; data: Array<unknown> } => {
  if (!isRecord(value)) return flatten(name, value)
  const { dims, data } = value
  if (!Array.isArray(dims) || dims.some((d) => !Number.isInteger(d) || d < 0)) {
    return fail(`"${name}": "dims" must be a list of whole numbers ≥ 0, e.g. [1, 3]`)
  }
  const size = dims.reduce((a: number, b: number) => a * b, 1)
  if (typeof data === "number" || typeof data === "boolean") {
    return { dims, data: new Array(size).fill(data) }
  }
  const flat = flatten(name, data ?? fail(`"${name}": "data" is missing`)).data
  if (flat.length !== size) {
    fail(`"${name}": dims [${dims.join(", ")}] hold ${size} values but "data" has ${flat.length}`)
  }
  return { dims, data: flat }
}

const numberAt = (name: string, x: unknown, integer: boolean): number => {
  if (typeof x === "boolean") return x ? 1 : 0
  if (typeof x !== "number" || !Number.isFinite(x)) {
    return fail(`"${name}": ${JSON.stringify(x)} is not a number`)
  }
  if (integer && !Number.isInteger(x)) fail(`"${name}" is an integer input; ${x} is not whole`)
  return x
}

const tensorOf = (info: InferenceBackend.ValueInfo, dims: Array<number>, data: Array<unknown>) => {
  const { name, dtype } = info
  if (!(Tensor.dtypes as ReadonlyArray<string>).includes(dtype) || dtype === "float16") {
    return fail(`"${name}" is ${dtype}, which a JSON tensor cannot give; try another input kind`)
  }
  const d = dtype as Tensor.DType
  if (d === "int64" || d === "uint64") {
    const values = data.map((x) => BigInt(numberAt(name, x, true)))
    return Tensor.make(
      d,
      d === "int64" ? BigInt64Array.from(values) : BigUint64Array.from(values),
      dims,
    )
  }
  const integer = d !== "float32" && d !== "float64"
  const out = Tensor.zeros(d, dims)
  const target = out.data as Exclude<Tensor.DataTypes[Tensor.DType], BigInt64Array | BigUint64Array>
  data.forEach((x, i) => {
    target[i] = numberAt(name, x, integer)
  })
  return out
}

/** The feeds the JSON gives, or a `TensorJsonError` saying what to fix. */
export const parse = (text: string, signature: InferenceBackend.Signature): Tensor.Feeds => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    return fail(`not valid JSON (${(e as Error).message})`)
  }
  if (!isRecord(json))
    return fail(
      `give an object of tensors by input name, e.g. {"x": {"dims": [1, 3], "data": [1, 2, 3]}}`,
    )
  const declared = signature.inputs.map((i) => i.name)
  const unknown = Object.keys(json).filter((name) => !declared.includes(name))
  if (unknown.length > 0) {
    fail(
      `the model has no input ${unknown.map((n) => `"${n}"`).join(", ")}; its inputs are ${declared.join(", ")}`,
    )
  }
  const feeds: Record<string, Tensor.Tensor> = {}
  for (const info of signature.inputs) {
    if (!(info.name in json))
      fail(`input "${info.name}" is missing; give every input (${declared.join(", ")})`)
    const { dims, data } = given(info.name, json[info.name])
    const expected = info.dims
    const fits =
      expected.length === dims.length &&
      expected.every((e, i) => typeof e !== "number" || e < 0 || e === dims[i])
    if (!fits) {
      fail(
        `"${info.name}" must have dims [${expected.map(dimText).join(", ")}]; got [${dims.join(", ")}]`,
      )
    }
    feeds[info.name] = tensorOf(info, dims, data)
  }
  return feeds
}
