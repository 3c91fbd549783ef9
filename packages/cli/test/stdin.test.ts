/**
 * `edgeline voice-gate -`: a WAV stream on stdin, as a recorder pipes it
 * (`sox -d -t wav - | edgeline voice-gate - --jsonl`), with each segment
 * printed as soon as it closes.
 */
import { spawn, spawnSync } from "node:child_process"
import { readFile } from "node:fs/promises"
import { describe, expect, it } from "vitest"
import { bin, edgeline, sample } from "./support/edgeline.js"

/**
 * The sample as a recorder pipes it: raw samples into sox, WAV out to a pipe.
 * sox cannot know the length or seek back, so the header's sizes are placeholders.
 */
const soxPipe = async (): Promise<Buffer> => {
  const pcm = (await readFile(sample)).subarray(44) // the fixture's canonical header
  const sox = spawnSync(
    "sox",
    ["-t", "raw", "-r", "16000", "-e", "signed", "-b", "16", "-c", "1", "-", "-t", "wav", "-"],
    { input: pcm, maxBuffer: 1 << 26 },
  )
  if (sox.status !== 0) throw new Error(`sox failed: ${sox.stderr}`)
  return sox.stdout
}

const lines = (text: string) =>
  text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>)

describe("edgeline voice-gate - (stdin)", () => {
  it("gives the same segments from a pipe as from the file", async () => {
    const piped = await soxPipe()
    // Not the file's bytes: the header says more data follows than ever does.
    expect(piped.readUInt32LE(4)).toBeGreaterThan(0x7fff0000)
    const fromFile = JSON.parse((await edgeline(["voice-gate", sample, "--json"])).stdout)
    const fromStdin = await edgeline(["voice-gate", "-", "--json"], { stdin: piped })
    expect(fromStdin.code).toBe(0)
    const report = JSON.parse(fromStdin.stdout)
    expect(report.file).toBe("stdin")
    expect(report.segments).toEqual(fromFile.segments)
    expect(report.bytesIn).toBe(fromFile.bytesIn)
  })

  it("--jsonl prints each segment as it closes, before the stream ends", async () => {
    const piped = await soxPipe()
    const header = 44
    const firstPart = header + 6 * 16000 * 2 // 6 s: the first segment closes at about 3.4 s
    const child = spawn(process.execPath, [bin, "voice-gate", "-", "--jsonl"], {
      stdio: ["pipe", "pipe", "pipe"],
    })
    let stdout = ""
    let stderr = ""
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    const firstLine = new Promise<string>((resolve) => {
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        stdout += d
        if (stdout.includes("\n")) resolve(stdout)
      })
    })
    child.stdin.write(piped.subarray(0, firstPart))
    // The stream is still open: this line can only come from the first 6 s.
    const early = lines(await firstLine)
    expect(early[0]).toMatchObject({ event: "segment" })
    expect(early[0]!.end as number).toBeLessThan(6)
    child.stdin.end(piped.subarray(firstPart))
    const code = await new Promise<number | null>((done) => child.on("close", done))
    expect(stderr).toBe("")
    expect(code).toBe(0)
    const all = lines(stdout)
    const done = all.at(-1)!
    expect(done).toMatchObject({ event: "done", file: "stdin" })
    const segments = all.filter((line) => line.event === "segment")
    expect(segments.length).toBe(done.segments)
    expect(segments.length).toBeGreaterThanOrEqual(4)
  })

  it("stdin that is not WAV is bad input: one line, exit 2", async () => {
    const { code, stdout, stderr } = await edgeline(["voice-gate", "-"], {
      stdin: new TextEncoder().encode("plain text, not audio"),
    })
    expect(code).toBe(2)
    expect(stdout).toBe("")
    expect(stderr.trim().split("\n")).toHaveLength(1)
    expect(stderr).toMatch(/not a WAV/)
  })
})
