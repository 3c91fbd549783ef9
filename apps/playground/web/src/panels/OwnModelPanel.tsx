/**
 * Your model: drop an .onnx file, see its inputs and outputs, run it in a
 * Web Worker on a tensor (JSON), on text through the triage featurizer or
 * on a WAV file, time it, and export the pipeline as TypeScript.
 */
import type { InferenceBackend, Runner } from "@edgeline/core"
import { connectWorker } from "@edgeline/runtime-web"
import { useEffect, useRef, useState } from "preact/hooks"
import type { Config } from "../Config.js"
import {
  DEFAULT_WINDOW,
  type OutputSummary,
  PREPROCESSES,
  type Preprocess,
  type WorkerSetup,
} from "../components/own-model/OwnModelSetup.js"
import { RunResults, type Timed } from "../components/own-model/RunResults.js"
import { SignatureTable } from "../components/own-model/SignatureTable.js"
import { type SnippetRuntime, snippet } from "../components/own-model/Snippet.js"
import { PipelineView } from "../components/PipelineView.js"

const startWorker = (setup: WorkerSetup) =>
  new Worker(new URL("../workers/own-model.worker.ts", import.meta.url), {
    type: "module",
    name: JSON.stringify(setup),
  })

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e))

interface Loaded {
  readonly fileName: string
  readonly url: string
  readonly signature: InferenceBackend.Signature
}

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

const REPEATS = 5

export const OwnModelPanel = (_: { readonly config: Config }) => {
  const [model, setModel] = useState<Loaded | undefined>()
  const [status, setStatus] = useState("Choose an .onnx file to start.")
  const [error, setError] = useState<string | undefined>()
  const [preprocess, setPreprocess] = useState<Preprocess>("tensor-json")
  const [window, setWindow] = useState(DEFAULT_WINDOW)
  const [json, setJson] = useState("")
  const [text, setText] = useState("")
  const [wav, setWav] = useState<File | undefined>()
  const [runner, setRunner] = useState<Runner.Runner<unknown, Array<OutputSummary>> | undefined>()
  const [result, setResult] = useState<Timed | undefined>()
  const [busy, setBusy] = useState(false)
  const [runtime, setRuntime] = useState<SnippetRuntime>("node")
  const [code, setCode] = useState<string | undefined>()
  const [copied, setCopied] = useState<string | undefined>()
  const [dragging, setDragging] = useState(false)
  const loadId = useRef(0)

  // The assembled pipeline's worker: a new one whenever the model or the preprocess changes.
  useEffect(() => {
    if (model === undefined) return
    const next = connectWorker<any>(
      startWorker({
        serve: "pipeline",
        modelUrl: model.url,
        preprocess,
        signature: model.signature,
        window,
      }),
    ) as Runner.Runner<unknown, Array<OutputSummary>>
    setRunner(next)
    setResult(undefined)
    // Load now, so the first Run times the model rather than its loading (a failure shows on Run).
    void next.load().catch(() => undefined)
    return () => {
      void next.close().catch(() => undefined)
    }
  }, [model, preprocess, window])

  const open = async (file: File | undefined) => {
    if (file === undefined) return
    const id = ++loadId.current
    setError(undefined)
    setResult(undefined)
    setCode(undefined)
    setModel(undefined)
    setRunner(undefined)
    setStatus(`Reading ${file.name}…`)
    const url = URL.createObjectURL(file)
    const inspector = connectWorker<any>(startWorker({ serve: "signature", modelUrl: url }))
    try {
      const signature = (await inspector.run(null)) as InferenceBackend.Signature
      if (id !== loadId.current) return
      setModel({ fileName: file.name, url, signature })
      setJson(exampleJson(signature))
      setStatus(
        `${file.name}: ${signature.inputs.length} inputs, ${signature.outputs.length} outputs.`,
      )
    } catch (e) {
      URL.revokeObjectURL(url)
      if (id !== loadId.current) return
      setStatus("No model loaded.")
      setError(
        `${file.name} could not be loaded as an ONNX model: ${messageOf(e)}. Choose an .onnx file (an ONNX graph exported from PyTorch, TensorFlow or scikit-learn).`,
      )
    } finally {
      void inspector.close().catch(() => undefined)
    }
  }

  const inputFor = async (): Promise<unknown> => {
    if (preprocess === "tensor-json") return json
    if (preprocess === "featurizer") return { text }
    if (wav === undefined) throw new Error("choose a WAV file first")
    return new Uint8Array(await wav.arrayBuffer())
  }

  const run = async (times: number) => {
    if (runner === undefined) return
    setBusy(true)
    setError(undefined)
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
      setError(`The run failed: ${messageOf(e)}`)
    } finally {
      setBusy(false)
    }
  }

  const exportSnippet = async () => {
    if (model === undefined) return
    const code = snippet({
      fileName: model.fileName,
      signature: model.signature,
      preprocess,
      runtime,
      window,
    })
    setCode(code)
    try {
      await navigator.clipboard.writeText(code)
      setCopied("Copied to the clipboard.")
    } catch {
      setCopied("The browser did not allow copying: select the text below and copy it.")
    }
  }

  return (
    <div class="own-model">
      <p>
        Bring an ONNX model of your own: the playground reads its inputs and outputs, runs it in a
        Web Worker on onnxruntime-web, and writes the pipeline as TypeScript.
      </p>
      <label
        class={`drop-zone${dragging ? " dragging" : ""}`}
        onDragOver={(e) => {
          e.preventDefault()
          setDragging(true)
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault()
          setDragging(false)
          void open(e.dataTransfer?.files[0])
        }}
      >
        <span>ONNX model file (drop it here, or choose)</span>
        <input
          type="file"
          accept=".onnx"
          data-testid="own-model-file"
          onChange={(e) => void open((e.currentTarget as HTMLInputElement).files?.[0])}
        />
      </label>
      <p aria-live="polite" data-testid="own-model-status">
        {status}
      </p>
      <p class="error" role="alert" data-testid="own-model-error">
        {error}
      </p>
      {model !== undefined && (
        <>
          <div class="grid-2">
            <SignatureTable caption="Inputs" values={model.signature.inputs} />
            <SignatureTable caption="Outputs" values={model.signature.outputs} />
          </div>
          <div class="row">
            <label>
              Input kind{" "}
              <select
                value={preprocess}
                data-testid="own-model-preprocess"
                onChange={(e) =>
                  setPreprocess((e.currentTarget as HTMLSelectElement).value as Preprocess)
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
              <code>{`{"x": {"dims": [1, 3], "data": [1, 2, 3]}}`}</code>; a single number as data
              fills the tensor, a nested array gives its own dims
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
                  value={window}
                  onChange={(e) => {
                    const n = Number((e.currentTarget as HTMLInputElement).value)
                    if (Number.isInteger(n) && n > 0) setWindow(n)
                  }}
                />
              </label>
            </div>
          )}
          <div class="row">
            <button
              type="button"
              disabled={busy || runner === undefined}
              onClick={() => void run(1)}
            >
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
          <div class="row">
            <label>
              Snippet for{" "}
              <select
                value={runtime}
                onChange={(e) =>
                  setRuntime((e.currentTarget as HTMLSelectElement).value as SnippetRuntime)
                }
              >
                <option value="node">Node (@edgeline/runtime-node)</option>
                <option value="web">a Web Worker (@edgeline/runtime-web)</option>
              </select>
            </label>
            <button type="button" class="secondary" onClick={() => void exportSnippet()}>
              Export TS snippet
            </button>
          </div>
          <p aria-live="polite">{copied}</p>
          {code !== undefined && (
            <label class="block">
              TypeScript snippet
              <textarea
                class="snippet"
                readOnly
                rows={Math.min(30, code.split("\n").length + 1)}
                value={code}
                data-testid="own-model-snippet"
              />
            </label>
          )}
        </>
      )}
    </div>
  )
}
