/**
 * The declared inputs of an ONNX model, read straight from its protobuf
 * bytes: names and dims only (ModelProto.graph.input, minus initializers,
 * which models before IR version 4 also list as inputs). Enough to learn a
 * classifier's window length without an engine that reports shapes.
 */

export interface DeclaredInput {
  readonly name: string
  /** A number for a fixed dim, the symbol's name (or "?") for a symbolic one. */
  readonly dims: ReadonlyArray<number | string>
}

/** Thrown when the bytes are not a readable ONNX model. */
export class NotOnnx extends Error {}

interface Field {
  readonly number: number
  readonly wire: number
  /** Varint value (wire 0). */
  readonly value: number
  /** Payload bounds (wire 2). */
  readonly from: number
  readonly to: number
}

/** Iterates the fields of one message in `bytes[from, to)`. */
function* fields(bytes: Uint8Array, from: number, to: number): Generator<Field> {
  let at = from
  const varint = (): number => {
    // Arithmetic, not bit operations: values may exceed 32 bits.
    let result = 0
    let scale = 1
    for (;;) {
      if (at >= to) throw new NotOnnx("truncated varint")
      const byte = bytes[at++]!
      result += (byte & 0x7f) * scale
      if (byte < 0x80) return result
      scale *= 128
      if (scale > 2 ** 70) throw new NotOnnx("varint too long")
    }
  }
  while (at < to) {
    const key = varint()
    const number = Math.floor(key / 8)
    const wire = key % 8
    if (wire === 0) {
      yield { number, wire, value: varint(), from: 0, to: 0 }
    } else if (wire === 2) {
      const length = varint()
      const start = at
      at += length
      if (at > to) throw new NotOnnx("a field runs past its message")
      yield { number, wire, value: 0, from: start, to: at }
    } else if (wire === 1) {
      at += 8
    } else if (wire === 5) {
      at += 4
    } else {
      throw new NotOnnx(`unexpected wire type ${wire}`)
    }
  }
  if (at !== to) throw new NotOnnx("a field runs past its message")
}

/**
 * A name's bytes as text, one character per byte: exact for ASCII names, and
 * consistent for any others, which are only compared with each other and shown.
 */
const text = (bytes: Uint8Array, f: Field): string => {
  let out = ""
  for (let i = f.from; i < f.to; i++) out += String.fromCharCode(bytes[i]!)
  return out
}

/** The first field `number` (length-delimited) of a message, or undefined. */
const child = (bytes: Uint8Array, from: number, to: number, number: number): Field | undefined => {
  for (const f of fields(bytes, from, to)) if (f.number === number && f.wire === 2) return f
  return undefined
}

const dimsOf = (bytes: Uint8Array, type: Field): Array<number | string> => {
  // TypeProto.tensor_type (1) → shape (2) → dim (1, repeated): dim_value (1) | dim_param (2)
  const tensor = child(bytes, type.from, type.to, 1)
  const shape = tensor && child(bytes, tensor.from, tensor.to, 2)
  if (shape === undefined) return []
  const dims: Array<number | string> = []
  for (const dim of fields(bytes, shape.from, shape.to)) {
    if (dim.number !== 1 || dim.wire !== 2) continue
    let value: number | string = "?"
    for (const d of fields(bytes, dim.from, dim.to)) {
      if (d.number === 1 && d.wire === 0) value = d.value
      else if (d.number === 2 && d.wire === 2) value = text(bytes, d)
    }
    dims.push(value)
  }
  return dims
}

/** The model's graph inputs that are not initializers, in order. */
export const declaredInputs = (bytes: Uint8Array): Array<DeclaredInput> => {
  // ModelProto.graph (7) → GraphProto: initializer (5, TensorProto with name 8), input (11, ValueInfoProto)
  const graph = child(bytes, 0, bytes.length, 7)
  if (graph === undefined) throw new NotOnnx("no graph")
  const initializers = new Set<string>()
  const inputs: Array<DeclaredInput> = []
  for (const f of fields(bytes, graph.from, graph.to)) {
    if (f.wire !== 2) continue
    if (f.number === 5) {
      const name = child(bytes, f.from, f.to, 8)
      if (name !== undefined) initializers.add(text(bytes, name))
    } else if (f.number === 11) {
      let name = ""
      let dims: Array<number | string> = []
      for (const v of fields(bytes, f.from, f.to)) {
        if (v.number === 1 && v.wire === 2) name = text(bytes, v)
        else if (v.number === 2 && v.wire === 2) dims = dimsOf(bytes, v)
      }
      inputs.push({ name, dims })
    }
  }
  return inputs.filter((input) => !initializers.has(input.name))
}
