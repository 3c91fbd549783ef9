/**
 * The body of `POST /v1/chat/completions`, as far as this server reads it,
 * checked with Effect Schema. Fields it does not read (`temperature`,
 * `max_tokens`, `seed`, `user`…) are accepted and ignored, as clients send
 * them freely. A body that does not fit is a 400 naming the field.
 */
import { Result, Schema, SchemaIssue } from "effect"
import { type ApiError, invalidRequest } from "./ApiError.js"

const TextPart = Schema.Struct({ type: Schema.Literal("text"), text: Schema.String })

const Content = Schema.NullOr(Schema.Union([Schema.String, Schema.Array(TextPart)])).annotate({
  expected: "a string, an array of text parts or null",
})

const Message = Schema.Struct({
  role: Schema.Literals(["system", "developer", "user", "assistant", "tool", "function"]),
  content: Schema.optionalKey(Content),
})
export type Message = typeof Message.Type

const JsonSchemaFormat = Schema.Struct({
  type: Schema.Literal("json_schema"),
  json_schema: Schema.Struct({
    name: Schema.String,
    description: Schema.optionalKey(Schema.String),
    schema: Schema.optionalKey(Schema.Record(Schema.String, Schema.Unknown)),
    strict: Schema.optionalKey(Schema.NullOr(Schema.Boolean)),
  }),
})

const ResponseFormat = Schema.Union([
  Schema.Struct({ type: Schema.Literal("text") }),
  Schema.Struct({ type: Schema.Literal("json_object") }),
  JsonSchemaFormat,
]).annotate({
  expected: `{ type: "text" }, { type: "json_object" } or { type: "json_schema", json_schema: { name, schema, strict } }`,
})
export type ResponseFormat = typeof ResponseFormat.Type

const ChatRequest = Schema.Struct({
  model: Schema.String,
  messages: Schema.Array(Message).check(Schema.isMinLength(1)),
  response_format: Schema.optionalKey(Schema.NullOr(ResponseFormat)),
  logprobs: Schema.optionalKey(Schema.NullOr(Schema.Boolean)),
  top_logprobs: Schema.optionalKey(
    Schema.NullOr(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 20 }))),
  ),
  n: Schema.optionalKey(
    Schema.NullOr(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 128 }))),
  ),
  stream: Schema.optionalKey(Schema.NullOr(Schema.Boolean)),
})
export type ChatRequest = typeof ChatRequest.Type

/** `messages[0].content` from `["messages", 0, "content"]`, as OpenAI names a parameter. */
const paramOf = (path: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }>): string =>
  path
    .map((p) => (typeof p === "object" ? p.key : p))
    .map((key, i) => (typeof key === "number" ? `[${key}]` : `${i === 0 ? "" : "."}${String(key)}`))
    .join("")

/** What was sent at `path`, briefly, for the message. */
const sentAt = (body: unknown, path: ReadonlyArray<PropertyKey>): string => {
  let value: unknown = body
  for (const key of path) value = (value as Record<PropertyKey, unknown> | undefined)?.[key]
  if (value === undefined) return "nothing"
  const json = JSON.stringify(value)
  return json.length > 60 ? `${json.slice(0, 57)}...` : json
}

/** The kind of the first problem (the one the formatter lists first), which picks OpenAI's code. */
const firstKind = (issue: SchemaIssue.Issue): string => {
  switch (issue._tag) {
    case "Pointer":
    case "Encoding":
      return firstKind(issue.issue)
    case "Composite":
      return firstKind(issue.issues[0])
    default:
      return issue._tag
  }
}

/** Decodes a parsed JSON body, or a 400 that names the first field that is wrong and why. */
export const decode = (body: unknown): ChatRequest | ApiError => {
  const result = Schema.decodeUnknownResult(ChatRequest)(body)
  if (Result.isSuccess(result)) return result.success
  const formatter = SchemaIssue.makeFormatterStandardSchemaV1()
  const first = formatter(result.failure.issue).issues[0]
  const path = (first?.path ?? []).map((p) => (typeof p === "object" ? p.key : p))
  const param = paramOf(path)
  if (param === "") {
    return invalidRequest(`The request body must be a JSON object, got ${sentAt(body, path)}.`)
  }
  const kind = firstKind(result.failure.issue)
  if (kind === "MissingKey") {
    return invalidRequest(
      `Missing required parameter: '${param}'.`,
      param,
      "missing_required_parameter",
    )
  }
  return invalidRequest(
    `Invalid value for '${param}': ${first?.message ?? "not valid"}, got ${sentAt(body, path)}.`,
    param,
    kind === "InvalidType" || kind === "AnyOf" ? "invalid_type" : "invalid_value",
  )
}
