/** "Export TS snippet": the assembled pipeline as TypeScript, copied and shown to select. */
import type { InferenceBackend } from "@edgeline/core"
import { useState } from "preact/hooks"
import type { Preprocess } from "./OwnModelSetup.js"
import { type SnippetRuntime, snippet } from "./Snippet.js"

export const SnippetExport = (props: {
  readonly fileName: string
  readonly signature: InferenceBackend.Signature
  readonly preprocess: Preprocess
  readonly samplesPerWindow: number
}) => {
  const [runtime, setRuntime] = useState<SnippetRuntime>("node")
  const [code, setCode] = useState<string | undefined>()
  const [copied, setCopied] = useState<string | undefined>()

  const exportSnippet = async () => {
    const code = snippet({
      fileName: props.fileName,
      signature: props.signature,
      preprocess: props.preprocess,
      runtime,
      window: props.samplesPerWindow,
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
    <>
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
  )
}
