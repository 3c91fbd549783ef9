/**
 * A classifier exported by @edgeline/distill, on a device: the featurizer
 * imported in a Web Worker without any training code, the ONNX graph on
 * onnxruntime-web, and both checked against Node (test/setup/distill-reference.ts).
 */
import { describe, expect, inject, it } from "vitest"
import type { Reply } from "./triage.worker.js"

describe("a distilled classifier in a Web Worker on onnxruntime-web", () => {
  it.each(["mlp", "student"] as const)(
    "%s: featurizes as Node does and matches the TypeScript forward pass within 1e-5 on 1000 inputs",
    async (which) => {
      const reference = inject("distillReference")[which]
      const worker = new Worker(new URL("./triage.worker.ts", import.meta.url), { type: "module" })
      const reply = await new Promise<Reply>((resolve, reject) => {
        worker.onmessage = ({ data }) =>
          "error" in data ? reject(new Error(data.error)) : resolve(data)
        worker.onerror = (e) => reject(new Error(e.message))
        worker.postMessage({
          model: Uint8Array.from(atob(reference.model), (c) => c.charCodeAt(0)),
          featurizer: reference.featurizer,
          texts: reference.texts,
        })
      })
      worker.terminate()
      expect(reply.indices).toEqual(reference.indices)
      expect(reply.probabilities).toHaveLength(1000)
      let worst = 0
      reply.probabilities.forEach((p, row) => {
        for (let c = 0; c < 2; c++)
          worst = Math.max(worst, Math.abs(p[c]! - reference.probabilities[row]![c]!))
      })
      expect(worst).toBeLessThan(1e-5)
    },
  )
})
