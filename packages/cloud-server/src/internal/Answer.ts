/**
 * How a classification becomes the assistant's content, in the format the
 * request asked for:
 *
 * - `json_schema`: the schema's string property whose `enum` is the model's
 *   labels (in any order) gets the most probable label; a number property
 *   named `confidence` or `probability`, if the schema has one, gets its
 *   probability. Keys follow the schema's order. A schema that requires
 *   anything else cannot be filled and is refused.
 * - `json_object`: `{"label":…,"confidence":…}`.
 * - `text` (or none): the bare label.
 *
 * Each writer also says where the label's value starts in the content, so
 * logprobs can find its first token.
 */
import { type ApiError, invalidRequest } from "./ApiError.js"
import type { ResponseFormat } from "./ChatRequest.js"

/** The content for an answer, and the character where the label's value starts in it. */
export interface Written {
  readonly content: string
  readonly labelAt: number
}

export type Writer = (label: string, probability: number) => Written

/** Compact JSON of `entries`, as `JSON.stringify` writes it, noting where `labelKey`'s value starts. */
const jsonWriter =
  (keys: ReadonlyArray<{ readonly key: string; readonly is: "label" | "probability" }>): Writer =>
  (label, probability) => {
    let content = "{"
    let labelAt = -1
    keys.forEach(({ key, is }, i) => {
      content += `${i === 0 ? "" : ","}${JSON.stringify(key)}:`
      if (is === "label") {
        labelAt = content.length + 1 // after the opening quote
        content += JSON.stringify(label)
      } else {
        content += JSON.stringify(probability)
      }
    })
    return { content: `${content}}`, labelAt }
  }

const textWriter: Writer = (label) => ({ content: label, labelAt: 0 })

const PROBABILITY_KEYS = ["confidence", "probability"]

const isRecord = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

const typeIs = (property: Record<string, unknown>, type: string): boolean =>
  property.type === type || (Array.isArray(property.type) && property.type.includes(type))

const sameSet = (values: unknown, labels: ReadonlyArray<string>): boolean =>
  Array.isArray(values) &&
  values.length === labels.length &&
  labels.every((label) => values.includes(label))

/** The keys of a JSON schema this model can fill, or why it cannot. */
const fillable = (
  schema: unknown,
  labels: ReadonlyArray<string>,
): ReadonlyArray<{ readonly key: string; readonly is: "label" | "probability" }> | string => {
  if (!isRecord(schema)) return "no schema was given"
  if (!typeIs(schema, "object") || !isRecord(schema.properties)) {
    return `the schema is not an object schema with "properties"`
  }
  const properties = Object.entries(schema.properties).filter(
    (entry): entry is [string, Record<string, unknown>] => isRecord(entry[1]),
  )
  const labelKey = properties.find(
    ([, p]) => (p.type === undefined || typeIs(p, "string")) && sameSet(p.enum, labels),
  )?.[0]
  if (labelKey === undefined) {
    return `no string property has an "enum" of the labels ${JSON.stringify(labels)}`
  }
  const probabilityKey = properties.find(
    ([key, p]) => PROBABILITY_KEYS.includes(key) && typeIs(p, "number"),
  )?.[0]
  const required = Array.isArray(schema.required) ? schema.required : []
  const unfillable = required.filter((key) => key !== labelKey && key !== probabilityKey)
  if (unfillable.length > 0) {
    return `it requires ${unfillable.map((k) => JSON.stringify(k)).join(", ")}, which the model cannot fill`
  }
  return properties
    .filter(([key]) => key === labelKey || key === probabilityKey)
    .map(([key]) => ({ key, is: key === labelKey ? "label" : "probability" }) as const)
}

/** The writer for a request's `response_format`, or a 400 saying what this model can fill. */
export const writerFor = (
  format: ResponseFormat | undefined,
  model: { readonly id: string; readonly labels: ReadonlyArray<string> },
): Writer | ApiError => {
  if (format === undefined || format.type === "text") return textWriter
  if (format.type === "json_object") {
    return jsonWriter([
      { key: "label", is: "label" },
      { key: "confidence", is: "probability" },
    ])
  }
  const keys = fillable(format.json_schema.schema, model.labels)
  if (typeof keys !== "string") return jsonWriter(keys)
  return invalidRequest(
    `Invalid schema for response_format '${format.json_schema.name}': ${keys}. ` +
      `The model "${model.id}" is a classifier: it fills an object schema with a string property ` +
      `whose "enum" is its labels ${JSON.stringify(model.labels)} (e.g. "label") and, optionally, ` +
      `a number property "confidence" or "probability"; no other property may be required.`,
    "response_format",
  )
}
