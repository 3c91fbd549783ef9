/**
 * `edgeline assistant`, run as users run it, against `edgeline cloud serve`
 * (PocketSphinx behind /v1/audio/transcriptions) on loopback, on flite
 * speech: "hey jarvis" + a command, among distractors.
 */
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Serving, serving } from "./support/cloud.js"
import { edgeline, fixtures } from "./support/edgeline.js"

const wav = fileURLToPath(new URL("wake/flite-rms.wav", `file://${fixtures}`))
let server: Serving
let url: string
beforeAll(async () => {
  server = serving([])
  url = `${await server.url}/v1`
})
afterAll(async () => {
  await server?.stop()
})

describe("edgeline assistant", () => {
  it("--json prints the wakes with what the cloud heard, and how much audio was sent", async () => {
    const { code, stdout, stderr } = await edgeline(["assistant", wav, "--cloud", url, "--json"])
    expect(stderr).toBe("")
    expect(code).toBe(0)
    const result = JSON.parse(stdout)
    expect(Object.keys(result)).toEqual(["wakes", "audioSentSeconds", "inputSeconds"])
    // Two "hey jarvis" commands in the recording, at 0.5–2.8 s and 9–11.5 s.
    expect(result.wakes).toHaveLength(2)
    expect(result.wakes[0].at).toBeGreaterThan(0.5)
    expect(result.wakes[0].at).toBeLessThan(3)
    expect(result.wakes[0].transcript).toMatch(/kitchen/)
    expect(result.wakes[1].transcript).toMatch(/timer/)
    expect(result.inputSeconds).toBeGreaterThan(15)
    expect(result.audioSentSeconds).toBeGreaterThan(1)
    expect(result.audioSentSeconds).toBeLessThan(result.inputSeconds / 2)
  })

  it.each([
    [["assistant", "--cloud", "http://x/v1"], "assistant needs a WAV file"],
    [["assistant", "nope.wav", "--cloud", "http://x/v1"], "nope.wav: no such file"],
    [["assistant", "x.wav"], "assistant needs --cloud url"],
    [
      ["assistant", "x.wav", "--cloud", "http://x/v1", "--jsonl"],
      "assistant has no option --jsonl",
    ],
  ])("%j: exit 2 with one line", async (args, says) => {
    const { code, stderr } = await edgeline(args, { env: { ...process.env, OPENAI_BASE_URL: "" } })
    expect(code).toBe(2)
    expect(stderr.split("\n")[0]).toContain(says)
  })
})
