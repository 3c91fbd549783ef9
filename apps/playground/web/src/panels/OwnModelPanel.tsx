/**
 * Your model: drop an .onnx file, see its inputs and outputs, run it in a
 * Web Worker on a tensor (JSON), on text through the triage featurizer or
 * on a WAV file, time it, and export the pipeline as TypeScript.
 */
import type { InferenceBackend } from "@edgeline/core"
import { connectWorker } from "@edgeline/runtime-web"
import { Fragment } from "preact"
import { useEffect, useRef, useState } from "preact/hooks"
import type { Config } from "../Config.js"
import { ModelDrop } from "../components/own-model/ModelDrop.js"
import { ModelRun } from "../components/own-model/ModelRun.js"
import { DEFAULT_WINDOW, type Preprocess } from "../components/own-model/OwnModelSetup.js"
import { startOwnModelWorker } from "../components/own-model/OwnModelWorker.js"
import { SignatureTable } from "../components/own-model/SignatureTable.js"
import { SnippetExport } from "../components/own-model/SnippetExport.js"
import { messageOf } from "../messageOf.js"

interface Loaded {
  readonly fileName: string
  /** The file's blob URL, which the workers load the model from; revoked once it is replaced. */
  readonly url: string
  readonly signature: InferenceBackend.Signature
}

export const OwnModelPanel = (_: { readonly config: Config }) => {
  const [model, setModel] = useState<Loaded | undefined>()
  const [status, setStatus] = useState("Choose an .onnx file to start.")
  const [error, setError] = useState<string | undefined>()
  const [preprocess, setPreprocess] = useState<Preprocess>("tensor-json")
  const [samplesPerWindow, setSamplesPerWindow] = useState(DEFAULT_WINDOW)
  // Each file read gets an id; a read that a newer one (or leaving the panel) superseded is dropped.
  const loadId = useRef(0)

  // The shown model's blob URL lives until another model replaces it or the panel goes.
  const url = model?.url
  useEffect(() => (url === undefined ? undefined : () => URL.revokeObjectURL(url)), [url])
  useEffect(
    () => () => {
      loadId.current++
    },
    [],
  )

  const open = async (file: File) => {
    const id = ++loadId.current
    setError(undefined)
    setModel(undefined)
    setStatus(`Reading ${file.name}…`)
    const url = URL.createObjectURL(file)
    const inspector = connectWorker<any>(startOwnModelWorker({ serve: "signature", modelUrl: url }))
    try {
      const signature = (await inspector.run(null)) as InferenceBackend.Signature
      if (id !== loadId.current) {
        URL.revokeObjectURL(url)
        return
      }
      setModel({ fileName: file.name, url, signature })
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

  return (
    <div class="own-model">
      <p>
        Bring an ONNX model of your own: the playground reads its inputs and outputs, runs it in a
        Web Worker on onnxruntime-web, and writes the pipeline as TypeScript.
      </p>
      <ModelDrop onFile={(file) => void open(file)} />
      <p aria-live="polite" data-testid="own-model-status">
        {status}
      </p>
      <p class="error" role="alert" data-testid="own-model-error">
        {error}
      </p>
      {model !== undefined && (
        // Keyed by the file: a new model starts with fresh inputs, results and snippet.
        <Fragment key={model.url}>
          <div class="grid-2">
            <SignatureTable caption="Inputs" values={model.signature.inputs} />
            <SignatureTable caption="Outputs" values={model.signature.outputs} />
          </div>
          <ModelRun
            modelUrl={model.url}
            signature={model.signature}
            preprocess={preprocess}
            onPreprocess={setPreprocess}
            samplesPerWindow={samplesPerWindow}
            onSamplesPerWindow={setSamplesPerWindow}
            onError={setError}
          />
          <SnippetExport
            fileName={model.fileName}
            signature={model.signature}
            preprocess={preprocess}
            samplesPerWindow={samplesPerWindow}
          />
        </Fragment>
      )}
    </div>
  )
}
