/**
 * An `InferenceBackend` that runs models on a KServe v2 server (Triton,
 * OpenVINO Model Server, Seldon MLServer): a stage's `ModelRef` names the
 * model — `ref.name`, and `ref.version` when set — and the server, which
 * holds its own copy, runs it. No bytes are sent, so no `ModelSource` is
 * asked for them.
 *
 * The whole backend is the adapter below; `InferenceBackend.make` derives
 * the rest (sessions per model, warm-up, leases, typed errors, `runSteps`).
 *
 * Per session, `backendOptions.kserve` may set `timeoutMs` and `headers`
 * (merged over the backend's own).
 *
 * @example
 * ```ts
 * import { createRunner, ModelSource } from "@edgeline/core"
 * import { VoiceGate } from "@edgeline/recipes"
 * import { KServeBackend } from "@edgeline/backend-kserve"
 * const layer = Layer.mergeAll(
 *   KServeBackend.layer({ url: "http://localhost:8000" }),
 *   // No bytes are read, but a source may still announce new versions by name.
 *   Layer.effect(ModelSource.ModelSource, ModelSource.memory()),
 * )
 * const runner = await createRunner(VoiceGate.file, { layer })
 * ```
 */
import { InferenceBackend, InferenceError, type Tensor } from "@edgeline/core"
import { type Effect, type Layer, Result, Schema, type Scope } from "effect"
import { KServeRequestError } from "./Errors.js"
import * as KServeClient from "./KServeClient.js"
import * as KServeProtocol from "./KServeProtocol.js"

export interface Options extends KServeClient.Options {}

/** The backend's name, and its key in `SessionOptions.backendOptions`. */
export const NAME = "kserve"

/** Every Edgeline dtype has a KServe datatype. */
const DTYPES = Object.keys(KServeProtocol.datatypeOf) as ReadonlyArray<Tensor.DType>

/** What `backendOptions.kserve` may hold for one session. */
const OwnOptions = Schema.Struct({
  timeoutMs: Schema.optionalKey(Schema.Number.check(Schema.isGreaterThan(0))),
  headers: Schema.optionalKey(Schema.Record(Schema.String, Schema.String)),
})
const OWN_KEYS: ReadonlyArray<string> = Object.keys(OwnOptions.fields)

const ownOptions = (own: Readonly<Record<string, unknown>>) => {
  const result = Schema.decodeUnknownResult(OwnOptions)(own)
  if (Result.isFailure(result)) {
    throw new Error(
      `backendOptions.${NAME} is invalid: ${result.failure.message.replace(/\n\s*/g, " ")}`,
    )
  }
  return result.success
}

/** The session's warnings: options it was given that it cannot apply. */
const warningsFor = (
  ref: { readonly name: string; readonly sha256?: string | undefined },
  own: Readonly<Record<string, unknown>>,
): Array<InferenceBackend.Warning> => [
  ...Object.keys(own)
    .filter((key) => !OWN_KEYS.includes(key))
    .map((key) => ({
      setting: `backendOptions.${NAME}.${key}`,
      message: `${NAME} has no option "${key}" (it has ${OWN_KEYS.join(", ")}); it is ignored`,
    })),
  // The server runs its own copy: a pinned hash cannot be checked from here.
  ...(ref.sha256 === undefined
    ? []
    : [
        {
          setting: "sha256",
          message: `${NAME} runs the server's own copy of "${ref.name}", so the sha256 the ref pins is not checked`,
        },
      ]),
]

/** `version "5" of ` when the ref names one, for messages. */
const versionPhrase = (version: string | undefined) =>
  version === undefined ? "" : `version "${version}" of `

/** The adapter: load = metadata and readiness from the server; run = one infer request. */
export const adapter = (options: Options): InferenceBackend.Adapter<"ref"> => ({
  name: NAME,
  capabilities: {
    modelInput: "ref",
    batching: true,
    recurrentSteps: false,
    dtypes: DTYPES,
    options: ["warmup"],
  },
  load: async (ref, { own }) => {
    const mine = ownOptions(own)
    const client = KServeClient.make({
      ...options,
      headers: { ...options.headers, ...mine.headers },
      timeoutMs: mine.timeoutMs ?? options.timeoutMs,
    })
    const { name, version } = ref
    const metadata = await client.metadata(name, version).catch((e: unknown) => {
      if (e instanceof KServeRequestError && e.status === 404) {
        throw new Error(
          `the KServe server at ${client.url} has no ${versionPhrase(version)}model "${name}" (${e.message}); the model's name on the server must be the ref's name`,
        )
      }
      throw e
    })
    await client.ready(name, version).catch((e: unknown) => {
      throw new Error(
        `${versionPhrase(version)}model "${name}" is not ready: ${(e as Error).message}`,
      )
    })
    const inputs = metadata.inputs.map((input) => {
      const dtype = KServeProtocol.dtypeOf(input.datatype)
      if (dtype === undefined) {
        throw new Error(
          `input "${input.name}" of "${name}" is ${input.datatype}, which Edgeline tensors cannot carry`,
        )
      }
      return { name: input.name, dtype, dims: input.shape }
    })
    return {
      inputNames: inputs.map((input) => input.name),
      outputNames: metadata.outputs.map((output) => output.name),
      inputs,
      provider: `${NAME}:${client.url}`,
      // Without a version in the ref the server picks one; it is known only when it lists one.
      version: version ?? (metadata.versions?.length === 1 ? metadata.versions[0] : undefined),
      warnings: warningsFor(ref, own),
      run: (feeds) =>
        client.infer(name, version, feeds).then(
          (response) => response.outputs,
          (e: unknown) => {
            // The constructor's wrapping would add "check the input names, dims and
            // dtypes", which is wrong advice when the server was not reached at all.
            if (e instanceof KServeRequestError && e.status === undefined) {
              throw new InferenceError({
                model: name,
                message: `running "${name}" failed: ${e.message}`,
              })
            }
            throw e
          },
        ),
      // The server keeps the model loaded for everyone; this client holds nothing.
      release: async () => {},
    }
  },
})

/** The backend, to provide under a key of your own (a second backend beside the default one). */
export const make = (options: Options): Effect.Effect<InferenceBackend.Shape, never, Scope.Scope> =>
  InferenceBackend.make(adapter(options))

/** The backend as the `InferenceBackend` Layer. */
export const layer = (options: Options): Layer.Layer<InferenceBackend.InferenceBackend> =>
  InferenceBackend.layer(adapter(options))
