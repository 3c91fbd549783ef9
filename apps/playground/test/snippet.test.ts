/**
 * The "Export TS snippet" output is real code: for every preprocess and
 * both runtimes, the snippet written for a model's signature compiles
 * against the published packages (@edgeline/core, recipes, distill,
 * runtime-node, runtime-web). The e2e test compiles the one the page shows.
 */
import { describe, expect, it } from "vitest"
import { PREPROCESSES } from "../web/src/components/own-model/OwnModelSetup.js"
import { snippet } from "../web/src/components/own-model/Snippet.js"
import { typecheckSnippets } from "./support/typecheckSnippet.js"

const silero = {
  inputs: [
    { name: "input", dtype: "float32", dims: ["", ""] },
    { name: "state", dtype: "float32", dims: [2, "", 128] },
    { name: "sr", dtype: "int64", dims: [] },
  ],
  outputs: [
    { name: "output", dtype: "float32", dims: ["", 1] },
    { name: "stateN", dtype: "float32", dims: ["", "", ""] },
  ],
}
const triage = {
  inputs: [
    { name: "indices", dtype: "int64", dims: ["batch", "features"] },
    { name: "values", dtype: "float32", dims: ["batch", "features"] },
  ],
  outputs: [
    { name: "logits", dtype: "float32", dims: ["batch", 2] },
    { name: "probabilities", dtype: "float32", dims: ["batch", 2] },
  ],
}

describe("the exported TypeScript snippet", () => {
  it("compiles for every input kind, on Node and in a Web Worker", async () => {
    const files: Record<string, string> = {}
    for (const { id } of PREPROCESSES) {
      for (const runtime of ["node", "web"] as const) {
        const signature = id === "featurizer" ? triage : silero
        const fileName = id === "featurizer" ? "model.onnx" : "silero_vad_v5.onnx"
        files[`${id}-${runtime}.ts`] = snippet({
          fileName,
          signature,
          preprocess: id,
          runtime,
          window: 512,
        })
      }
    }
    expect(files["wav-node.ts"]).toContain("WavDecode.stage, Resample.stage, yourModel")
    expect(files["featurizer-web.ts"]).toContain("serveWorker(pipeline")
    expect(await typecheckSnippets(files)).toBe("")
  })

  it("compiles for a hostile file name: quotes, a comment's end and a newline stay inside their string", async () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the hostile name carries a placeholder on purpose.
    const fileName = 'my "best" */ model\nconsole.log(1) // `${x}`.onnx'
    const files: Record<string, string> = {}
    for (const runtime of ["node", "web"] as const) {
      files[`hostile-${runtime}.ts`] = snippet({
        fileName,
        signature: silero,
        preprocess: "tensor-json",
        runtime,
        window: 512,
      })
    }
    expect(files["hostile-node.ts"]).toContain(JSON.stringify(`./${fileName}`))
    expect(files["hostile-web.ts"]).toContain(JSON.stringify(`./${fileName}?url`))
    for (const code of Object.values(files)) {
      // The name's newline did not end the header comment: no line runs the injected code.
      expect(code.split("\n").filter((line) => line.startsWith("console.log(1)"))).toEqual([])
      expect(code.split("\n")[0]).toMatch(/^\/\/ my "best" {2}model console\.log\(1\)/)
    }
    expect(await typecheckSnippets(files)).toBe("")
  })

  it("fails to compile when the snippet is wrong (the check can fail)", async () => {
    const broken = snippet({
      fileName: "m.onnx",
      signature: silero,
      preprocess: "tensor-json",
      runtime: "node",
      window: 512,
    }).replace("Infer.infer(", "Infer.inferr(")
    expect(await typecheckSnippets({ "broken.ts": broken })).toContain("inferr")
  })
})
