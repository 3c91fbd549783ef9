/**
 * The voice assistant panel on real models in Chromium: Silero and
 * openWakeWord in the page's Web Worker, PocketSphinx behind the reference
 * cloud tier. The speech is flite's (the recipes' wake fixtures): "hey
 * jarvis" + a request, among distractors such as "the jar is very heavy".
 * Inputs: the bundled sample, uploaded WAVs, and the microphone (Chromium's
 * fake capture device playing a fixture). Offline, the wakes are still
 * heard and show as degraded.
 */
import { fileURLToPath } from "node:url"
import type { Locator, Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { seriousViolations } from "../support/axe.js"
import { expectReadable } from "../support/layout.js"
import * as Session from "../support/session.js"

const fixture = (name: string) =>
  fileURLToPath(new URL(`../../../../packages/recipes/test/fixtures/wake/${name}`, import.meta.url))

// Words of the sample's two requests ("turn off the kitchen lights", "set a timer for ten minutes").
const REQUEST_WORDS = /\b(turn|off|kitchen|lights|set|timer|ten|minutes)\b/i

describe("the voice assistant panel", () => {
  let session: Session.Session
  let page: Page
  let panel: Locator
  beforeAll(async () => {
    session = await Session.open({
      expectedErrors: [Session.CUT_BY_OFFLINE_SWITCH],
      args: [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        `--use-file-for-fake-audio-capture=${fixture("flite-slt.wav")}`,
      ],
    })
    page = await Session.load(session, "#assistant")
    panel = page.getByRole("region", { name: "Voice assistant" })
  })
  afterAll(() => session?.close())

  /** Waits for the run under way to finish; returns the status line. */
  const finished = async () => {
    await panel
      .getByRole("button", { name: "Run the sample" })
      .and(panel.locator(":enabled"))
      .waitFor()
    return (await panel.getByTestId("assistant-status").textContent()) ?? ""
  }

  const shownResult = async () => ({
    wakes: await panel.getByTestId("wake").count(),
    transcripts: await panel.getByTestId("transcript").allTextContents(),
    degraded: await panel.getByTestId("degraded").allTextContents(),
    share: (await panel.getByTestId("share-sent").textContent()) ?? "",
    segments: await panel.getByTestId("speech-segment").count(),
    marks: await panel.getByTestId("wake-mark").count(),
  })

  const percentSent = (share: string) => Number(/([\d.]+) %/.exec(share)?.[1])

  it("runs the bundled sample: wakes, transcripts, the share sent, the waveform and the pipeline", async () => {
    await panel.getByRole("button", { name: "Run the sample" }).click()
    await panel.getByTestId("share-sent").waitFor({ timeout: 120_000 })
    const status = await finished()
    expect(status).toMatch(/Bundled sample: 2 wake words heard/)
    const shown = await shownResult()
    expect(shown.wakes).toBe(2)
    expect(shown.degraded).toEqual([])
    expect(shown.transcripts).toHaveLength(2)
    for (const transcript of shown.transcripts) expect(transcript.trim()).not.toBe("")
    expect(shown.transcripts.join(" ")).toMatch(REQUEST_WORDS)
    // Only the requests after the wakes went out: well under the whole recording.
    expect(shown.share).toMatch(/^Sent to the cloud/)
    const percent = percentSent(shown.share)
    expect(percent).toBeGreaterThan(0)
    expect(percent).toBeLessThan(100)
    expect(percent).toBeLessThan(50)
    // Five utterances in the sample: the gate shades each, and both wakes are marked.
    expect(shown.segments).toBeGreaterThanOrEqual(4)
    expect(shown.marks).toBe(2)
    const waveform = panel.getByRole("img", { name: /Waveform of 15\.\d\d s of audio/ })
    await expect(waveform.getAttribute("aria-label")).resolves.toMatch(/2 wake words marked/)
    const box = await waveform.boundingBox()
    expect(box?.width).toBeGreaterThan(600)
    // The legend gives the same facts as text.
    await expect(panel.locator(".va-legend").textContent()).resolves.toMatch(
      /“Hey Jarvis” heard at \d/,
    )
    // The pipeline row: the gate's stages, the wake word and the transcription, each run.
    const pipeline = panel.getByRole("figure", { name: "Voice assistant pipeline" })
    await pipeline
      .locator('[data-stage="transcribe"] [data-testid="stage-count"]')
      .filter({ hasText: /^[1-9]/ })
      .waitFor()
    const counts = await pipeline.getByTestId("stage-count").allTextContents()
    expect(counts.length).toBeGreaterThanOrEqual(8)
    for (const count of counts) expect(Number(count)).toBeGreaterThan(0)
    // Live latency: the infer stages (the gate's Silero, the wake word) show how long they took.
    for (const stage of ["silero-vad", "wake-word"]) {
      const last = await pipeline
        .locator(`[data-stage="${stage}"] [data-testid="stage-last-ms"]`)
        .textContent()
      expect(last, stage).toMatch(/^[\d.]+ ms$/)
      expect(Number.parseFloat(last ?? ""), stage).toBeGreaterThan(0)
    }
    await session.screenshot("voice-assistant-sample")
  })

  it("runs an uploaded WAV, and explains a file that is not one", async () => {
    await panel.getByLabel("Upload a WAV file").setInputFiles(fixture("flite-rms.wav"))
    await expect(finished()).resolves.toMatch(/flite-rms\.wav: 2 wake words heard/)
    const shown = await shownResult()
    expect(shown.wakes).toBe(2)
    expect(shown.transcripts.join(" ")).toMatch(REQUEST_WORDS)

    await panel.getByLabel("Upload a WAV file").setInputFiles({
      name: "notes.wav",
      mimeType: "audio/wav",
      buffer: Buffer.from("these are not the bytes of a WAV file"),
    })
    await panel.getByTestId("assistant-error").waitFor()
    await expect(panel.getByTestId("assistant-error").textContent()).resolves.toMatch(/WAV|RIFF/)
    await expect(panel.getByTestId("assistant-status").textContent()).resolves.toMatch(
      /notes\.wav could not be read/,
    )
    await session.screenshot("voice-assistant-bad-file")
  })

  it("records from the microphone (Chromium's fake device playing the sample) and runs it", async () => {
    await panel.getByRole("button", { name: "Record" }).click()
    const stop = panel.getByRole("button", { name: /Stop and run/ })
    await stop.waitFor()
    // The first request ends at 2.8 s of the sample; the fake device plays it from the start.
    await expect
      .poll(async () => Number(/\((\d+) s\)/.exec((await stop.textContent()) ?? "")?.[1]), {
        timeout: 30_000,
      })
      .toBeGreaterThanOrEqual(4)
    await stop.click()
    const status = await finished()
    expect(status).toMatch(/Your recording: [1-9]\d* wake words? heard/)
    const shown = await shownResult()
    expect(shown.wakes).toBeGreaterThanOrEqual(1)
    expect(shown.transcripts.join(" ")).toMatch(REQUEST_WORDS)
    await session.screenshot("voice-assistant-microphone")
  })

  it("offline, still gates and hears the wakes on the device, and shows them degraded", async () => {
    await Session.setOnline(page, false)
    await panel.getByTestId("offline-note").waitFor()
    await panel.getByRole("button", { name: "Run the sample" }).click()
    const status = await finished()
    expect(status).toMatch(/2 wake words heard, 2 not transcribed \(the cloud was unreachable\)/)
    const shown = await shownResult()
    expect(shown.wakes).toBe(2)
    expect(shown.transcripts).toEqual([])
    expect(shown.degraded).toHaveLength(2)
    for (const text of shown.degraded) expect(text).toMatch(/Degraded: not transcribed/)
    expect(shown.segments).toBeGreaterThanOrEqual(4)
    expect(shown.marks).toBe(2)
    // The utterances were to go, but none reached the cloud.
    expect(percentSent(shown.share)).toBe(0)
    expect(shown.share).toMatch(/unreachable, so the [1-9][\d.]* s after the wakes never left/)
    await session.screenshot("voice-assistant-offline")
    await Session.setOnline(page, true)
  })

  it("has no serious accessibility violations (axe-core), and reads at phone width", async () => {
    expect(await seriousViolations(page)).toEqual([])
    await page.setViewportSize({ width: 390, height: 844 })
    await expectReadable(page)
    await panel.screenshot({ path: `${Session.ARTIFACTS}voice-assistant-phone.png` })
    await page.setViewportSize({ width: 1280, height: 800 })
  })

  it("logged no console errors", () => {
    expect(session.errors).toEqual([])
  })
})
