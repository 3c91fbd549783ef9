/**
 * `npm run distill` reproduces both committed models byte for byte: the
 * teacher in this package and the student in @edgeline/model-message-triage.
 * The script trains the teacher on ground truth, serves it from this
 * package on loopback, labels the data through the OpenAI-compatible API
 * and trains the student; `--check` compares instead of writing.
 */
import { execFile } from "node:child_process"
import { promisify } from "node:util"
import { describe, expect, it } from "vitest"

const script = new URL("../../../tooling/distill.mjs", import.meta.url).pathname

describe("npm run distill", () => {
  it("rebuilds the committed teacher and student byte for byte", { timeout: 600_000 }, async () => {
    const { stderr } = await promisify(execFile)(process.execPath, [script, "--check"], {
      maxBuffer: 64 * 1024 * 1024,
    })
    expect(stderr).toMatch(/teacher: identical to .*message-triage-teacher\/model\.onnx/)
    expect(stderr).toMatch(/student: identical to .*model-message-triage\/model\.onnx/)
  })
})
