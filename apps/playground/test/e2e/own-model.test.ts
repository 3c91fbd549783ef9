/**
 * Your model: real ONNX files from our npm packages dropped into the panel.
 * Silero VAD shows its inputs (input, state, sr) with types and shapes and
 * runs on a tensor typed as JSON and on a WAV file (decoded and resampled
 * in the worker); the message-triage student runs on text through the
 * featurizer and gives the same probabilities as the same student on Node;
 * a file that is not ONNX and a wrong tensor give messages in the panel;
 * the exported snippet compiles.
 */
import { readFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { fileURLToPath } from "node:url"
import { createRunner } from "@edgeline/core"
import { TriageStudent, WavDecode } from "@edgeline/recipes"
import { NodeRuntime } from "@edgeline/runtime-node"
import { Effect } from "effect"
import type { Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { seriousViolations } from "../support/axe.js"
import { expectReadable } from "../support/layout.js"
import * as Session from "../support/session.js"
import { typecheckSnippets } from "../support/typecheckSnippet.js"

const require = createRequire(import.meta.url)
const SILERO = require.resolve("@edgeline/model-silero-vad/silero_vad_v5.onnx")
const TRIAGE = require.resolve("@edgeline/model-message-triage/model.onnx")
const WAV = fileURLToPath(
  new URL("../../../../packages/recipes/test/fixtures/fast-22k-stereo.wav", import.meta.url),
)
const SPAM =
  "WIN a FREE cruise!!! Click now to claim your prize, limited offer, reply with your bank details"

const panel = (page: Page) => page.getByRole("region", { name: "Your model" })

/** The row of a signature or outputs table, by the value's name: its cells' text. */
const row = async (page: Page, table: string, name: string) =>
  panel(page).getByTestId(table).locator(`tr[data-name="${name}"] td`).allInnerTexts()

const uploadModel = async (
  page: Page,
  file: string | { name: string; mimeType: string; buffer: Buffer },
) => {
  await panel(page).getByLabel("ONNX model file (drop it here, or choose)").setInputFiles(file)
}

const runOnce = async (page: Page, button = "Run") => {
  const timing = panel(page).getByTestId("own-model-timing")
  const before = (await timing.count()) > 0 ? await timing.textContent() : null
  await panel(page).getByRole("button", { name: button, exact: true }).click()
  // A result replaces the last one; an error shows in the alert.
  await page.waitForFunction(
    (previous) => {
      const timing = document.querySelector('[data-testid="own-model-timing"]')?.textContent ?? null
      const error = document.querySelector('[data-testid="own-model-error"]')?.textContent ?? ""
      return error !== "" || (timing !== null && timing !== previous)
    },
    before,
    { timeout: 60_000 },
  )
}

describe("Your model", () => {
  let session: Session.Session
  let page: Page
  beforeAll(async () => {
    session = await Session.open()
    page = await Session.load(session, "#own-model")
  })
  afterAll(() => session?.close())

  it("shows Silero VAD's inputs and outputs with element types and shapes", async () => {
    await uploadModel(page, SILERO)
    await panel(page).getByTestId("signature-inputs").waitFor({ timeout: 60_000 })
    expect(await row(page, "signature-inputs", "input")).toEqual(["input", "float32", "[?, ?]"])
    expect(await row(page, "signature-inputs", "state")).toEqual([
      "state",
      "float32",
      "[2, ?, 128]",
    ])
    expect(await row(page, "signature-inputs", "sr")).toEqual(["sr", "int64", "[]"])
    expect(await row(page, "signature-outputs", "output")).toEqual(["output", "float32", "[?, 1]"])
    await expect(panel(page).getByTestId("own-model-status").textContent()).resolves.toContain(
      "silero_vad_v5.onnx: 3 inputs, 2 outputs",
    )
  })

  it("loads the same file chosen again, and releases the blob URL of the model it replaces", async () => {
    // The blob URLs the page makes and revokes from here on.
    await page.evaluate(() => {
      const blobs = { made: [] as Array<string>, revoked: [] as Array<string> }
      Object.assign(window, { blobs })
      const create = URL.createObjectURL.bind(URL)
      const revoke = URL.revokeObjectURL.bind(URL)
      URL.createObjectURL = (o) => {
        const url = create(o)
        blobs.made.push(url)
        return url
      }
      URL.revokeObjectURL = (url) => {
        blobs.revoked.push(url)
        revoke(url)
      }
    })
    const blobs = () =>
      page.evaluate(
        () =>
          (window as unknown as { blobs: { made: Array<string>; revoked: Array<string> } }).blobs,
      )
    for (let load = 0; load < 2; load++) {
      const before = (await blobs()).revoked.length
      await uploadModel(page, SILERO)
      // The shown model's URL goes once the new file replaces it, then the new one shows.
      await expect.poll(async () => (await blobs()).revoked.length).toBeGreaterThan(before)
      await panel(page).getByTestId("signature-inputs").waitFor({ timeout: 60_000 })
    }
    const { made, revoked } = await blobs()
    expect(made).toHaveLength(2)
    expect(revoked).toContain(made[0])
    expect(revoked).not.toContain(made[1])
  })

  it("runs Silero on a tensor typed as JSON, times it, and repeats it", async () => {
    const frame = Array.from({ length: 576 }, (_, i) => +(0.3 * Math.sin(i / 3)).toFixed(4))
    await panel(page)
      .getByTestId("own-model-json")
      .fill(
        JSON.stringify({
          input: { dims: [1, 576], data: frame },
          state: { dims: [2, 1, 128], data: 0 },
          sr: 16000,
        }),
      )
    await runOnce(page)
    await expect(panel(page).getByTestId("own-model-error").textContent()).resolves.toBe("")
    const output = await row(page, "own-model-outputs", "output")
    expect(output.slice(1, 3)).toEqual(["float32", "[1, 1]"])
    const p = Number(output[3])
    expect(p).toBeGreaterThanOrEqual(0)
    expect(p).toBeLessThanOrEqual(1)
    expect((await row(page, "own-model-outputs", "stateN")).slice(1, 3)).toEqual([
      "float32",
      "[2, 1, 128]",
    ])
    expect(await panel(page).getByTestId("own-model-timing").textContent()).toMatch(
      /^1 run: [\d.]+ ms/,
    )

    await runOnce(page, "Run 5×")
    expect(await panel(page).getByTestId("own-model-timing").textContent()).toMatch(
      /^5 runs: mean [\d.]+ ms, min [\d.]+ ms/,
    )
    // The same frame every time: the same probability.
    expect(Number((await row(page, "own-model-outputs", "output"))[3])).toBe(p)
    // The pipeline row counts the runs in the worker, pushed by observe.
    const stage = panel(page).locator('[data-stage="your-model"]')
    await expect
      .poll(async () => Number(await stage.getByTestId("stage-count").textContent()), {
        timeout: 10_000,
      })
      .toBe(6)
    await session.screenshot("own-model-silero-json")
  })

  it("says what is wrong with a tensor that does not fit the model", async () => {
    const json = panel(page).getByTestId("own-model-json")
    await json.fill(JSON.stringify({ input: { dims: [1, 576], data: 0 }, sr: 16000 }))
    await runOnce(page)
    await expect(panel(page).getByTestId("own-model-error").textContent()).resolves.toContain(
      'input "state" is missing',
    )
    await json.fill(
      JSON.stringify({
        input: { dims: [1, 576], data: 0 },
        state: { dims: [2, 1, 64], data: 0 },
        sr: 16000,
      }),
    )
    await runOnce(page)
    await expect(panel(page).getByTestId("own-model-error").textContent()).resolves.toContain(
      '"state" must have dims [2, ?, 128]; got [2, 1, 64]',
    )
    await json.fill("{ not json")
    await runOnce(page)
    await expect(panel(page).getByTestId("own-model-error").textContent()).resolves.toContain(
      "not valid JSON",
    )
  })

  it("runs Silero on a WAV file, decoded and resampled to 16 kHz in the worker, one window per row", async () => {
    await panel(page).getByLabel("Input kind").selectOption("wav")
    await panel(page).getByLabel("WAV file (decoded, resampled to 16 kHz)").setInputFiles(WAV)
    await runOnce(page)
    await expect(panel(page).getByTestId("own-model-error").textContent()).resolves.toBe("")
    const { samples, sampleRate } = await Effect.runPromise(
      WavDecode.decode(new Uint8Array(await readFile(WAV))),
    )
    const windows = Math.ceil(Math.round((samples.length * 16000) / sampleRate) / 512)
    const output = await row(page, "own-model-outputs", "output")
    expect(output.slice(1, 3)).toEqual(["float32", `[${windows}, 1]`])
    for (const p of output[3]!.split(" …")[0]!.split(", ").map(Number)) {
      expect(p).toBeGreaterThanOrEqual(0)
      expect(p).toBeLessThanOrEqual(1)
    }
    for (const stage of ["wav-decode", "resample-16k", "audio-windows", "your-model"]) {
      await expect(panel(page).locator(`[data-stage="${stage}"]`).count()).resolves.toBe(1)
    }
    await session.screenshot("own-model-silero-wav")
  })

  it("runs the message-triage student on text through the featurizer: the same probabilities as on Node", async () => {
    await uploadModel(page, TRIAGE)
    await panel(page).getByTestId("signature-inputs").waitFor({ timeout: 60_000 })
    expect(await row(page, "signature-inputs", "indices")).toEqual([
      "indices",
      "int64",
      "[batch, features]",
    ])
    expect(await row(page, "signature-outputs", "probabilities")).toEqual([
      "probabilities",
      "float32",
      "[batch, 2]",
    ])
    await panel(page).getByLabel("Input kind").selectOption("featurizer")
    await panel(page).getByTestId("own-model-text").fill(SPAM)
    await runOnce(page)
    await expect(panel(page).getByTestId("own-model-error").textContent()).resolves.toBe("")
    const shown = await row(page, "own-model-outputs", "probabilities")
    expect(shown.slice(1, 3)).toEqual(["float32", "[1, 2]"])
    const [ham, spam] = shown[3]!.split(", ").map(Number) as [number, number]
    expect(ham + spam).toBeCloseTo(1, 3)

    const student = await Effect.runPromise(TriageStudent.make())
    const runner = await createRunner(student, { layer: NodeRuntime.layer() })
    const reference = await runner.run({ text: SPAM })
    await runner.close()
    expect(ham).toBeCloseTo(reference.probabilities[0]!, 3)
    expect(spam).toBeCloseTo(reference.probabilities[1]!, 3)
    expect(spam).toBeGreaterThan(0.5)
    await session.screenshot("own-model-triage")
  })

  it("exports the assembled pipeline as a TypeScript snippet that compiles", async () => {
    await panel(page).getByRole("button", { name: "Export TS snippet" }).click()
    const code = await panel(page).getByTestId("own-model-snippet").inputValue()
    expect(code).toContain('from "@edgeline/runtime-node"')
    expect(code).toContain("TriageStudent.features()")
    expect(code).toContain('Pipeline.make("your-model", features, yourModel)')
    expect(code).toContain("probabilities")
    expect(await typecheckSnippets({ "your-model.ts": code })).toBe("")
    await session.screenshot("own-model-snippet")
  })

  it("says a file that is not ONNX cannot be loaded, in the panel", async () => {
    await uploadModel(page, {
      name: "notes.onnx",
      mimeType: "application/octet-stream",
      buffer: Buffer.from("just some notes, not a model"),
    })
    const error = panel(page).getByTestId("own-model-error")
    await expect
      .poll(() => error.textContent(), { timeout: 60_000 })
      .toContain("notes.onnx could not be loaded as an ONNX model")
    expect(await error.textContent()).toContain("Choose an .onnx file")
    await expect(panel(page).getByTestId("signature-inputs").count()).resolves.toBe(0)
    await session.screenshot("own-model-not-onnx")
  })

  it("reads at phone width, has no serious accessibility violations, and logged no console errors", async () => {
    await uploadModel(page, SILERO)
    await panel(page).getByTestId("signature-inputs").waitFor({ timeout: 60_000 })
    await panel(page).getByRole("button", { name: "Export TS snippet" }).click()
    await page.setViewportSize({ width: 390, height: 844 })
    await expectReadable(page)
    await session.screenshot("own-model-phone")
    await page.setViewportSize({ width: 1280, height: 800 })
    expect(await seriousViolations(page)).toEqual([])
    expect(session.errors).toEqual([])
  })
})
