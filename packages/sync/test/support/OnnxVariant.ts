/**
 * New versions of a real ONNX model that onnxruntime still loads: the
 * model with an entry appended to its `metadata_props`. Protobuf merges a
 * repeated field written after the others, so the file stays a valid
 * ModelProto; only its last bytes differ, as with a retrained last layer,
 * and the registry sees new trailing chunks while the earlier ones are
 * shared. (Flipping bytes instead, as client.test.ts does for a model
 * that must fail its smoke check, leaves a file onnxruntime refuses.)
 */
import { readFile, writeFile } from "node:fs/promises"
import { concat } from "../../src/internal/concat.js"

const varint = (value: number): Array<number> => {
  const out: Array<number> = []
  let rest = value
  while (rest > 0x7f) {
    out.push((rest & 0x7f) | 0x80)
    rest >>>= 7
  }
  out.push(rest)
  return out
}

/** A length-delimited protobuf field (wire type 2). */
const field = (number: number, bytes: Uint8Array): Uint8Array => {
  const head = [...varint((number << 3) | 2), ...varint(bytes.length)]
  const out = new Uint8Array(head.length + bytes.length)
  out.set(head)
  out.set(bytes, head.length)
  return out
}

/** ModelProto.metadata_props is field 14; StringStringEntryProto is { key = 1, value = 2 }. */
const METADATA_PROPS = 14

/** `model` with the metadata entry `key: value` appended. */
export const withMetadata = (model: Uint8Array, key: string, value: string): Uint8Array => {
  const text = new TextEncoder()
  const entry = concat([field(1, text.encode(key)), field(2, text.encode(value))])
  return concat([model, field(METADATA_PROPS, entry)])
}

/**
 * Version `tag` of `model`: about `bytes` of printable text drawn from
 * `random` appended as metadata, so each version has trailing chunks of its own.
 */
export const variant = (
  model: Uint8Array,
  tag: string,
  bytes: number,
  random: () => number,
): Uint8Array => {
  const letters = new Uint8Array(bytes)
  for (let i = 0; i < bytes; i++) letters[i] = 33 + Math.floor(random() * 94)
  return withMetadata(model, `edgeline.test.${tag}`, new TextDecoder().decode(letters))
}

/**
 * `model` with its last `tail` bytes flipped, written to `path`: where
 * retraining a last layer changes a file, so the registry sees new
 * trailing chunks (onnxruntime refuses the result: a smoke check fails).
 */
export const writeFlippedTail = async (
  model: string,
  path: string,
  tail = 20_000,
): Promise<Uint8Array> => {
  const bytes = new Uint8Array(await readFile(model))
  for (let i = bytes.length - tail; i < bytes.length; i++) bytes[i] = bytes[i]! ^ 0x33
  await writeFile(path, bytes)
  return bytes
}
