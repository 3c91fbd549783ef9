/**
 * A local teacher: a classifier exported by this package (or any ONNX model
 * of the same format) run through core's `InferenceBackend`, so it runs on
 * whichever backend the caller provides — onnxruntime-node, onnxruntime-web,
 * a KServe server. The model carries its labels and its featurizer config in
 * its metadata, so the text is featurized exactly as the model was trained.
 *
 * The format: inputs `indices` int64 [batch, k] and `values` float32
 * [batch, k] (a message's sparse features, padded with index 0 / value 0),
 * output `probabilities` float32 [batch, classes].
 *
 * @example
 * ```ts
 * import { readFile } from "node:fs/promises"
 * import { OnnxBackend } from "@edgeline/runtime-node"
 * import { LabelJob, OnnxTeacher } from "@edgeline/distill"
 *
 * const { teacher, close } = await OnnxTeacher.open({
 *   model: await readFile("triage-big.onnx"),
 *   layer: OnnxBackend.layer(),
 * })
 * await LabelJob.runPromise({ teacher, items, cache: "labels.jsonl" })
 * await close()
 * ```
 */
import { InferenceBackend, type ModelLoadError, type ModelRef, Tensor } from "@edgeline/core"
import { Effect, Exit, type Layer, ManagedRuntime, Scope } from "effect"
import * as Featurizer from "../features/Featurizer.js"
import type { FeaturizerConfigError } from "../features/FeaturizerConfigError.js"
import * as SparseBatch from "../features/SparseBatch.js"
import type { ModelCard } from "../onnx/ModelCard.js"
import { ModelFormatError } from "../onnx/ModelFormatError.js"
import * as OnnxImport from "../onnx/OnnxImport.js"
import * as Teacher from "./Teacher.js"
import { TeacherAnswerError, TeacherRequestError } from "./TeacherErrors.js"

export interface Options {
  /** The model file's bytes, or bytes from a `ModelSource` (with their ref). */
  readonly model: Uint8Array | ModelRef.ModelBytes
  /** The teacher's id; by default `onnx:<model name>#<first 16 hex of the bytes' sha256>`. */
  readonly id?: string | undefined
  /** Options for the session (threads, device, backend-specific ones). */
  readonly session?: InferenceBackend.SessionOptions | undefined
}

/** What `make` fails with: bytes that are not such a model, a bad featurizer config, or a failed load. */
export type MakeError = ModelFormatError | FeaturizerConfigError | ModelLoadError

const hex = (bytes: ArrayBuffer): string =>
  Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("")

/** Hex sha256 with WebCrypto, which browsers and Node 20 both have. */
const sha256 = (bytes: Uint8Array): Effect.Effect<string> =>
  Effect.promise(() => crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>)).pipe(
    Effect.map(hex),
  )

/**
 * A teacher on the model, with a session leased from the backend for as long
 * as the scope is open.
 */
export const make = (
  options: Options,
): Effect.Effect<
  Teacher.Teacher & { readonly card: ModelCard },
  MakeError,
  InferenceBackend.InferenceBackend | Scope.Scope
> =>
  Effect.gen(function* () {
    const given = options.model
    const bytes = given instanceof Uint8Array ? given : given?.bytes
    if (!(bytes instanceof Uint8Array)) {
      return yield* new ModelFormatError({
        message: "model must be the ONNX file's bytes (a Uint8Array) or { ref, bytes }",
      })
    }
    const card = OnnxImport.card(bytes)
    if (typeof card === "string") return yield* new ModelFormatError({ message: card })
    const labels = yield* Effect.try({
      try: () => Teacher.checkLabels(card.labels),
      catch: (e) =>
        new ModelFormatError({ message: `the model's labels: ${(e as Error).message}` }),
    })
    const featurizer = yield* Featurizer.make(card.featurizer)
    const digest =
      given instanceof Uint8Array ? yield* sha256(bytes) : (given.sha256 ?? (yield* sha256(bytes)))
    const name = card.name || "teacher"
    const modelBytes: ModelRef.ModelBytes =
      given instanceof Uint8Array
        ? { ref: { name, uri: `memory:${name}`, sha256: digest }, bytes, sha256: digest }
        : given
    const backend = yield* InferenceBackend.InferenceBackend
    const session = yield* backend.load(modelBytes, options.session ?? {})
    const id = options.id ?? `onnx:${name}#${digest.slice(0, 16)}`

    const label = (
      text: string,
    ): Effect.Effect<Teacher.Answer, TeacherRequestError | TeacherAnswerError> =>
      Effect.gen(function* () {
        const batch = SparseBatch.pad([featurizer.featurize(text)])
        const outputs = yield* session
          .run({
            indices: Tensor.int64(batch.indices, [1, batch.width]),
            values: Tensor.float32(batch.values, [1, batch.width]),
          })
          .pipe(
            // A remote backend's run can fail for a while (network): worth retrying.
            Effect.mapError(
              (e) =>
                new TeacherRequestError({
                  message: `teacher ${id}: ${e.message}`,
                  status: undefined,
                  retryAfterMs: undefined,
                }),
            ),
          )
        const out = outputs.probabilities
        if (
          out === undefined ||
          out.data.length !== labels.length ||
          typeof out.data[0] !== "number"
        ) {
          return yield* new TeacherAnswerError({
            message: `teacher ${id}: the model gave no float "probabilities" of ${labels.length} values (outputs: ${Object.keys(outputs).join(", ")})`,
            answer: out === undefined ? "" : `${out.dtype} [${out.dims.join(", ")}]`,
            usage: undefined,
          })
        }
        // float32 softmax sums to 1 within rounding; renormalised in float64.
        const values = Array.from(out.data as ArrayLike<number>)
        const sum = values.reduce((a, b) => a + b, 0)
        return yield* Teacher.checkAnswer(
          { id, labels },
          {
            probabilities: sum > 0 ? values.map((v) => v / sum) : values,
            source: "model",
            usage: Teacher.noUsage,
          },
        )
      })

    return {
      specificationVersion: Teacher.specificationVersion,
      id,
      labels,
      card,
      label: (text: string) =>
        typeof text === "string"
          ? label(text)
          : Effect.fail(
              new TeacherAnswerError({
                message: `a teacher labels strings, got ${text === null ? "null" : typeof text}`,
                answer: "",
                usage: undefined,
              }),
            ),
    }
  })

export interface Opened {
  readonly teacher: Teacher.Teacher & { readonly card: ModelCard }
  /** Releases the session and the backend. */
  readonly close: () => Promise<void>
}

/**
 * `make` for plain async code: builds the backend from `layer` and keeps it
 * and the session until `close()`. Rejects with `ModelFormatError`,
 * `FeaturizerConfigError` or `ModelLoadError`.
 */
export const open = async <E>(
  options: Options & { readonly layer: Layer.Layer<InferenceBackend.InferenceBackend, E> },
): Promise<Opened> => {
  const runtime = ManagedRuntime.make(options.layer)
  const scope = Scope.makeUnsafe()
  const close = async () => {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    await runtime.dispose()
  }
  try {
    const teacher = await runtime.runPromise(make(options).pipe(Scope.provide(scope)))
    return { teacher, close }
  } catch (e) {
    await close()
    throw e
  }
}
