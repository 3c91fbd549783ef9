/**
 * Running the loaded model: the input for the chosen preprocess (a tensor as
 * JSON, text, or a WAV file), Run and Run 5× with their times, and the
 * assembled pipeline's stages live. A new worker whenever the model, the
 * preprocess or the window changes.
 */
import type { InferenceBackend, Runner } from "@edgeline/core"
import { connectWorker } from "@edgeline/runtime-web"
import { useEffect, useState } from "preact/hooks"
import { messageOf } from "../../messageOf.js"
import { PipelineView } from "../PipelineView.js"
import { type OutputSummary, PREPROCESSES, type Preprocess } from "./OwnModelSetup.js"
import { startOwnModelWorker } from "./OwnModelWorker.js"
import { RunResults, type Timed } from "./RunResults.js"

const REPEATS = 5

/** Zeros for every input, symbolic dims as 1: a start the user edits. */
const exampleJson = (signature: InferenceBackend.Signature) =>
  JSON.stringify(
    Object.fromEntries(
      signature.inputs.map((i) => [
        i.name,
        { dims: i.dims.map((d) => (typeof d === "number" && d >= 0 ? d : 1)), data: 0 },
      ]),
    ),
  )

export const ModelRun = (props: {
  readonly modelUrl: string
  readonly signature: InferenceBackend.Signature
  readonly preprocess: Preprocess
  readonly onPreprocess: (preprocess: Preprocess) => void
  readonly samplesPerWindow: number
  readonly onSamplesPerWindow: (samples: number) => void
  /** A failed run's message for the panel's alert (undefined clears it). */
  readonly onError: (message: string | undefined) => void
}) => {
  const { modelUrl, signature, preprocess, samplesPerWindow, onError } = props
  const [json, setJson] = useState(() => exampleJson(signature))
  const [text, setText] = useState("")
  const [wav, setWav] = useState<File | undefined>()
  const [runner, setRunner] = useState<Runner.Runner<unknown, Array<OutputSummary>> | undefined>()
  const [result, setResult] = useState<Timed | undefined>()
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    const next = connectWorker<any>(
      startOwnModelWorker({
        serve: "pipeline",
        modelUrl,
        preprocess,
        signature,
        window: samplesPerWindow,
      }),
    ) as Runner.Runner<unknown, Array<OutputSummary>>
    setRunner(next)
    setResult(undefined)
    // Load now, so the first Run times the model rather than its loading (a failure shows on Run).
    void next.load().catch(() => undefined)
    return () => {
      void next.close().catch(() => undefined)
    }
  }, [modelUrl, signature, preprocess, samplesPerWindow])

  const inputFor = async (): Promise<unknown> => {
    if (preprocess === "tensor-json") return json
    if (preprocess === "featurizer") return { text }
    if (wav === undefined) throw new Error("choose a WAV file first")
    return new Uint8Array(await wav.arrayBuffer())
  }

  const run = async (times: number) => {
    if (runner === undefined) return
    setBusy(true)
    onError(undefined)
    try {
      const took: Array<number> = []
      let outputs: Array<OutputSummary> = []
      for (let i = 0; i < times; i++) {
        const input = await inputFor()
        const start = performance.now()
        outputs = await runner.run(input)
        took.push(performance.now() - start)
      }
      setResult({ outputs, times: took })
    } catch (e) {
      onError(`The run failed: ${messageOf(e)}`)
    } finally {
      setBusy(false)
    }
  }

  return (
    <>
      <div class="row">
        <label>
          Input kind{" "}
          <select
            value={preprocess}
            data-testid="own-model-preprocess"
            onChange={(e) =>
              props.onPreprocess((e.currentTarget as HTMLSelectElement).value as Preprocess)
            }
          >
            {PREPROCESSES.map((p) => (
              <option key={p.id} value={p.id}>
                {p.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      {preprocess === "tensor-json" && (
        <label class="block">
          Tensors as JSON, by input name:{" "}
          <code>{`{"x": {"dims": [1, 3], "data": [1, 2, 3]}}`}</code>; a single number as data fills
          the tensor, a nested array gives its own dims
          <textarea
            rows={4}
            value={json}
            data-testid="own-model-json"
            onInput={(e) => setJson((e.currentTarget as HTMLTextAreaElement).value)}
          />
        </label>
      )}
      {preprocess === "featurizer" && (
        <label class="block">
          Text (featurized into hashed word and character n-grams, as the message-triage student
          reads it)
          <textarea
            rows={3}
            value={text}
            data-testid="own-model-text"
            onInput={(e) => setText((e.currentTarget as HTMLTextAreaElement).value)}
          />
        </label>
      )}
      {preprocess === "wav" && (
        <div class="row">
          <label>
            WAV file (decoded, resampled to 16 kHz){" "}
            <input
              type="file"
              accept=".wav,audio/wav"
              data-testid="own-model-wav"
              onChange={(e) => setWav((e.currentTarget as HTMLInputElement).files?.[0])}
            />
          </label>
          <label>
            Samples per window (when the model does not fix it){" "}
            <input
              type="number"
              min={1}
              value={samplesPerWindow}
              onChange={(e) => {
                const n = Number((e.currentTarget as HTMLInputElement).value)
                if (Number.isInteger(n) && n > 0) props.onSamplesPerWindow(n)
              }}
            />
          </label>
        </div>
      )}
      <div class="row">
        <button type="button" disabled={busy || runner === undefined} onClick={() => void run(1)}>
          Run
        </button>
        <button
          type="button"
          class="secondary"
          disabled={busy || runner === undefined}
          onClick={() => void run(REPEATS)}
        >
          Run {REPEATS}×
        </button>
      </div>
      <PipelineView name="Your model pipeline" runner={runner} />
      <div aria-live="polite" data-testid="own-model-result">
        {result !== undefined && <RunResults result={result} />}
      </div>
    </>
  )
}
