/**
 * Tiny ONNX graphs for tests, encoded at test time so no model file is
 * checked in: each function returns the bytes of a one-node model (opset 14)
 * with fixed input dims. Write them to a file for `Model.session`, or hand
 * them to `ort.InferenceSession.create` as they are.
 *
 * @example
 * ```ts
 * const bytes = onnxModels.cast("float32", "float16", [2]) // input "x", output "y"
 * ```
 */
import onnxProto from "onnx-proto"

const { onnx } = onnxProto

/** The element types these graphs use, by Edgeline's dtype names. */
export type ElemType = "float32" | "float16" | "int8" | "uint8" | "bool"

const elemTypes: Readonly<Record<ElemType, onnxProto.onnx.TensorProto.DataType>> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float16: onnx.TensorProto.DataType.FLOAT16,
  int8: onnx.TensorProto.DataType.INT8,
  uint8: onnx.TensorProto.DataType.UINT8,
  bool: onnx.TensorProto.DataType.BOOL,
}

interface Value {
  readonly name: string
  readonly type: ElemType
  readonly dims: ReadonlyArray<number>
}

const valueInfo = ({ name, type, dims }: Value): onnxProto.onnx.IValueInfoProto => ({
  name,
  type: {
    tensorType: { elemType: elemTypes[type], shape: { dim: dims.map((d) => ({ dimValue: d })) } },
  },
})

/** A scalar initializer; float32 values go in float_data, the small integer types in int32_data. */
const constant = (name: string, type: ElemType, value: number): onnxProto.onnx.ITensorProto =>
  type === "float32"
    ? { name, dataType: elemTypes[type], dims: [], floatData: [value] }
    : { name, dataType: elemTypes[type], dims: [], int32Data: [value] }

interface Node {
  readonly op: string
  readonly inputs: ReadonlyArray<Value>
  readonly output: Value
  /** Node inputs after the graph's, baked into the model. */
  readonly constants?: ReadonlyArray<onnxProto.onnx.ITensorProto>
  readonly attributes?: ReadonlyArray<onnxProto.onnx.IAttributeProto>
}

const oneNode = ({ op, inputs, output, constants = [], attributes = [] }: Node): Uint8Array =>
  onnx.ModelProto.encode({
    irVersion: 8,
    producerName: "edgeline tests",
    opsetImport: [{ domain: "", version: 14 }],
    graph: {
      name: op,
      node: [
        {
          opType: op,
          input: [...inputs.map((v) => v.name), ...constants.map((c) => c.name!)],
          output: [output.name],
          attribute: [...attributes],
        },
      ],
      input: inputs.map(valueInfo),
      output: [valueInfo(output)],
      initializer: [...constants],
    },
  }).finish()

/** `y = Cast(x)`, x of one element type and y of another. */
export const cast = (from: ElemType, to: ElemType, dims: ReadonlyArray<number>): Uint8Array =>
  oneNode({
    op: "Cast",
    inputs: [{ name: "x", type: from, dims }],
    output: { name: "y", type: to, dims },
    attributes: [{ name: "to", type: onnx.AttributeProto.AttributeType.INT, i: elemTypes[to] }],
  })

/** `y = x`. */
export const identity = (type: ElemType, dims: ReadonlyArray<number>): Uint8Array =>
  oneNode({
    op: "Identity",
    inputs: [{ name: "x", type, dims }],
    output: { name: "y", type, dims },
  })

/** `y = a + b`, all of one element type. */
export const add = (type: ElemType, dims: ReadonlyArray<number>): Uint8Array =>
  oneNode({
    op: "Add",
    inputs: [
      { name: "a", type, dims },
      { name: "b", type, dims },
    ],
    output: { name: "y", type, dims },
  })

/**
 * `y = x + c`, float32 [1] in and out, with `c` baked into the model: a
 * model whose output tells which one ran (say, a version number).
 */
export const constantAdd = (c: number): Uint8Array =>
  oneNode({
    op: "Add",
    inputs: [{ name: "x", type: "float32", dims: [1] }],
    output: { name: "y", type: "float32", dims: [1] },
    constants: [constant("c", "float32", c)],
  })

/** `y = QuantizeLinear(x, scale, zeroPoint)`: float32 x to `type`, per tensor. */
export const quantize = (
  type: "int8" | "uint8",
  scale: number,
  zeroPoint: number,
  dims: ReadonlyArray<number>,
): Uint8Array =>
  oneNode({
    op: "QuantizeLinear",
    inputs: [{ name: "x", type: "float32", dims }],
    output: { name: "y", type, dims },
    constants: [constant("scale", "float32", scale), constant("zero_point", type, zeroPoint)],
  })

/** `y = DequantizeLinear(x, scale, zeroPoint)`: x of `type` to float32, per tensor. */
export const dequantize = (
  type: "int8" | "uint8",
  scale: number,
  zeroPoint: number,
  dims: ReadonlyArray<number>,
): Uint8Array =>
  oneNode({
    op: "DequantizeLinear",
    inputs: [{ name: "x", type, dims }],
    output: { name: "y", type: "float32", dims },
    constants: [constant("scale", "float32", scale), constant("zero_point", type, zeroPoint)],
  })

/** `y = a > b`: float32 a and b, bool y. */
export const greater = (dims: ReadonlyArray<number>): Uint8Array =>
  oneNode({
    op: "Greater",
    inputs: [
      { name: "a", type: "float32", dims },
      { name: "b", type: "float32", dims },
    ],
    output: { name: "y", type: "bool", dims },
  })

/** `y = !x`, bool in and out. */
export const not = (dims: ReadonlyArray<number>): Uint8Array =>
  oneNode({
    op: "Not",
    inputs: [{ name: "x", type: "bool", dims }],
    output: { name: "y", type: "bool", dims },
  })
