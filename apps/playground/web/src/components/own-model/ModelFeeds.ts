/**
 * Feeds for a model the playground has never seen, shaped from its
 * signature: audio as windows stacked on the batch dim, sparse text
 * features as (indices, values), and outputs summarized for the page.
 */
import { type InferenceBackend, Tensor } from "@edgeline/core"
import type { SparseFeatures } from "@edgeline/distill/features"
import { SparseBatch } from "@edgeline/distill/features"
import type { OutputSummary } from "./OwnModelSetup.js"

export class FeedsError extends Error {
  readonly _tag = "FeedsError"
}

const isFloat = (info: InferenceBackend.ValueInfo) =>
  info.dtype === "float32" || info.dtype === "float64"
const isInteger = (info: InferenceBackend.ValueInfo) => /^u?int(8|16|32|64)$/.test(info.dtype)

/** Zeros of a declared shape, a symbolic dim named like `batchName` sized `batch`, others 1. */
const zerosLike = (info: InferenceBackend.ValueInfo, batchName: string | number, batch: number) =>
  Tensor.zeros(
    info.dtype as Tensor.DType,
    info.dims.map((d) => (typeof d === "number" && d >= 0 ? d : d === batchName ? batch : 1)),
  )

/**
 * 16 kHz audio as the model's first float input: cut into windows of the
 * model's fixed last dim (or `window` samples when it is symbolic), the last
 * one padded with zeros, stacked on dim 0, so one run scores every window.
 * Other inputs: a scalar integer (a sample rate, like Silero's `sr`) gets
 * 16000; the rest zeros, their dims named like the batch dim sized to it.
 */
export const audioWindows = (
  samples: Float32Array,
  signature: InferenceBackend.Signature,
  window: number,
): Tensor.Feeds => {
  const audio = signature.inputs.find((i) => i.dtype === "float32" && i.dims.length === 2)
  if (audio === undefined) {
    throw new FeedsError(
      "the model has no float32 input of two dims [batch, samples] to take audio; use a tensor as JSON instead",
    )
  }
  const [batchDim, lastDim] = audio.dims as [number | string, number | string]
  const width = typeof lastDim === "number" && lastDim > 0 ? lastDim : window
  if (!Number.isInteger(width) || width <= 0)
    throw new FeedsError("the window must be a whole number of samples above 0")
  const rows =
    typeof batchDim === "number" && batchDim > 0
      ? batchDim
      : Math.max(1, Math.ceil(samples.length / width))
  const data = new Float32Array(rows * width)
  data.set(samples.subarray(0, data.length))
  const feeds: Record<string, Tensor.Tensor> = { [audio.name]: Tensor.float32(data, [rows, width]) }
  for (const info of signature.inputs) {
    if (info === audio) continue
    if (info.dims.length === 0 && isInteger(info)) {
      feeds[info.name] =
        info.dtype === "int64"
          ? Tensor.int64(BigInt64Array.from([16000n]), [])
          : Tensor.make("int32", Int32Array.from([16000]), [])
    } else if (isFloat(info) || isInteger(info) || info.dtype === "bool") {
      feeds[info.name] = zerosLike(info, batchDim, rows)
    } else {
      throw new FeedsError(`input "${info.name}" is ${info.dtype}, which audio cannot fill`)
    }
  }
  return feeds
}

/**
 * One message's hashed n-grams as the model's integer input (bucket
 * indices) and float input (weights), as the message-triage student takes them.
 */
export const sparseText = (
  features: SparseFeatures,
  signature: InferenceBackend.Signature,
): Tensor.Feeds => {
  const indices = signature.inputs.find(isInteger)
  const values = signature.inputs.find(isFloat)
  if (indices === undefined || values === undefined || signature.inputs.length !== 2) {
    throw new FeedsError(
      "hashed n-grams need a model with two inputs, integer bucket indices and float weights (as the message-triage student has)",
    )
  }
  const padded = SparseBatch.pad([features])
  const index =
    indices.dtype === "int64"
      ? Tensor.make("int64", padded.indices, [1, padded.width])
      : Tensor.make("int32", Int32Array.from(padded.indices, Number), [1, padded.width])
  return {
    [indices.name]: index,
    [values.name]: Tensor.float32(padded.values, [1, padded.width]),
  }
}

const FIRST = 8

/** Each output's dtype, dims and first values: what a page can show (and clone) cheaply. */
export const summarize = (outputs: Tensor.Feeds): Array<OutputSummary> =>
  Object.entries(outputs).map(([name, tensor]) => {
    const data = tensor.data as ArrayLike<number | bigint>
    const first: Array<string> = []
    for (let i = 0; i < Math.min(FIRST, data.length); i++) {
      const x = data[i]!
      first.push(
        typeof x === "bigint" ? x.toString() : Number.isInteger(x) ? String(x) : x.toPrecision(4),
      )
    }
    return { name, dtype: tensor.dtype, dims: [...tensor.dims], first, count: data.length }
  })
