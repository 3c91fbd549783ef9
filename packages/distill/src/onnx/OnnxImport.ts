/**
 * Reads an exported classifier back: its card from the metadata, and its
 * weights as a {@link Network} (for evaluation in TypeScript and for
 * checking that the ONNX graph and the TypeScript forward pass agree).
 */
import onnxProto from "onnx-proto"
import type { Network } from "../student/Network.js"
import { fromMetadata, type ModelCard } from "./ModelCard.js"

const { onnx } = onnxProto

export interface Imported {
  readonly card: ModelCard
  readonly network: Network
}

const floatsOf = (t: onnxProto.onnx.ITensorProto | undefined): Float32Array => {
  if (t === undefined) return new Float32Array(0)
  if (t.rawData && t.rawData.length > 0) {
    const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength)
    return Float32Array.from({ length: t.rawData.byteLength / 4 }, (_, i) =>
      view.getFloat32(i * 4, true),
    )
  }
  return Float32Array.from(t.floatData ?? [])
}

/** The card alone; the problem as a string when these bytes are not a model this build reads. */
export const card = (bytes: Uint8Array): ModelCard | string => {
  let model: onnxProto.onnx.ModelProto
  try {
    model = onnx.ModelProto.decode(bytes)
  } catch (e) {
    return `not an ONNX model: ${e instanceof Error ? e.message : String(e)}`
  }
  return fromMetadata(model.metadataProps ?? [])
}

/** Card and weights; the problem as a string when these bytes are not a model this build reads. */
export const decode = (bytes: Uint8Array): Imported | string => {
  let model: onnxProto.onnx.ModelProto
  try {
    model = onnx.ModelProto.decode(bytes)
  } catch (e) {
    return `not an ONNX model: ${e instanceof Error ? e.message : String(e)}`
  }
  const card = fromMetadata(model.metadataProps ?? [])
  if (typeof card === "string") return card
  const byName = new Map((model.graph?.initializer ?? []).map((t) => [t.name ?? "", t]))
  const embedding = byName.get("embedding")
  const dims = (embedding?.dims ?? []).map(Number)
  if (embedding === undefined || dims.length !== 2)
    return "the model has no [inputs, width] embedding initializer"
  const outputs = card.labels.length
  const hiddenBias = floatsOf(byName.get("hidden_bias"))
  const network: Network = {
    shape: { inputs: dims[0]!, hidden: hiddenBias.length, outputs },
    embedding: floatsOf(embedding),
    hiddenBias,
    output: floatsOf(byName.get("output_weights")),
    outputBias: floatsOf(byName.get("output_bias")),
  }
  const bad = shapeProblem(network, dims, card)
  return bad === undefined ? { card, network } : `the model's weights do not fit: ${bad}`
}

/** Weights that disagree with each other or with the card would read out of bounds or give NaN. */
const shapeProblem = (
  network: Network,
  dims: ReadonlyArray<number>,
  card: ModelCard,
): string | undefined => {
  const { shape, embedding, output, outputBias } = network
  const width = shape.hidden > 0 ? shape.hidden : shape.outputs
  const expected: ReadonlyArray<readonly [string, number, number]> = [
    ["embedding rows (the featurizer's buckets)", dims[0]!, card.featurizer.buckets],
    ["embedding width", dims[1]!, width],
    ["embedding values", embedding.length, shape.inputs * width],
    ["output weights", output.length, shape.hidden * shape.outputs],
    ["output biases", outputBias.length, shape.outputs],
  ]
  for (const [what, got, want] of expected) {
    if (got !== want) return `${what}: ${got}, expected ${want}`
  }
  for (const values of [embedding, network.hiddenBias, output, outputBias]) {
    if (!values.every(Number.isFinite)) return "a weight is not a finite number"
  }
  return undefined
}
