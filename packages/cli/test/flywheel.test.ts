/**
 * `edgeline flywheel` as users run it (the committed bin in a child
 * process): the real cloud teacher, distill, the sync registry and ingest,
 * and a device running the triage cascade on onnxruntime-node, all on
 * loopback. Small sizes keep it short; the loop must still do what it is
 * for: each round's student, picked up live, escalates less, and every
 * escalation reaches the ingest as training data that leaked nothing the
 * cloud had not already been sent.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { SpamAssassin } from "@edgeline/distill"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { edgeline } from "./support/edgeline.js"

interface Round {
  round: number
  model: string
  threshold: number
  trainingExamples: number
  escalationsLearned: number
  messages: number
  escalated: number
  escalationRate: number
  degraded: number
  tokensSent: number
  streamAccuracy: number
  validation: { studentAccuracy: number; cascadeAccuracy: number; escalationRate: number }
  ingested: number
  published?: string
}

interface Report {
  settings: { rounds: number; trainingText: string; targetAccuracy: number }
  teacher: { accuracy: number; accuracyOnSent: number }
  validationMessages: number
  rounds: Array<Round>
  escalationFell: boolean
  out?: string
}

interface Sample {
  text: string
  label: string
  model: string
  textKind: string
}

/** The escalation samples the ingest stored, in its order. */
const ingested = async (out: string): Promise<Array<Sample>> =>
  (await readFile(join(out, "telemetry.jsonl"), "utf8"))
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as { event: { name: string; payload: Sample } })
    .filter((line) => line.event.name === "message-triage.escalation")
    .map((line) => line.event.payload)

const EMAIL = /[\w.+-]+@[\w-]+\.[\w.-]+/

let dir: string
let trainingTexts: Set<string>
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "edgeline-flywheel-"))
  trainingTexts = new Set((await SpamAssassin.load("train")).map((m) => m.text))
})
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe("edgeline flywheel", () => {
  it("runs three rounds: the escalation rate falls, each version is picked up live, the ingest gets every escalation", async () => {
    const out = join(dir, "run")
    const json = join(dir, "report.json")
    // The same arguments give the same students: the labels come from the
    // teacher's TypeScript forward pass, the stream's order from --seed.
    const { code, stdout, stderr } = await edgeline([
      "flywheel",
      "--rounds",
      "3",
      "--seed-size",
      "100",
      "--per-round",
      "200",
      "--validation-size",
      "300",
      "--json",
      json,
      "--out",
      out,
    ])
    expect(code, stderr).toBe(0)
    const report = JSON.parse(await readFile(json, "utf8")) as Report
    const { rounds } = report
    expect(rounds.map((r) => r.round)).toEqual([1, 2, 3])

    // The point of it all: each round's student escalates less, and sends the cloud fewer tokens.
    for (let i = 1; i < rounds.length; i++) {
      expect(rounds[i]!.escalationRate).toBeLessThan(rounds[i - 1]!.escalationRate)
      expect(rounds[i]!.tokensSent).toBeLessThan(rounds[i - 1]!.tokensSent)
    }
    expect(report.escalationFell).toBe(true)
    expect(rounds[0]!.escalated).toBeGreaterThan(0)

    // The running pipeline served each published version: the one trained after round r serves round r + 1.
    expect(rounds.map((r) => r.model)).toEqual(["1.0.0", "1.1.0", "1.2.0"])
    expect(rounds.map((r) => r.published)).toEqual(["1.1.0", "1.2.0", undefined])
    for (const r of rounds) {
      expect(r.messages).toBe(200)
      expect(r.degraded).toBe(0)
      expect(r.escalationRate).toBeCloseTo(r.escalated / r.messages, 10)
      expect(r.tokensSent).toBeGreaterThan(0)
      expect(r.threshold).toBeGreaterThan(0.5)
      expect(r.threshold).toBeLessThanOrEqual(1)
      // Sane accuracies: the student alone well above chance, the cascade near its target.
      expect(r.validation.studentAccuracy).toBeGreaterThan(0.8)
      expect(r.validation.cascadeAccuracy).toBeGreaterThan(report.settings.targetAccuracy - 0.02)
      expect(r.validation.cascadeAccuracy).toBeLessThanOrEqual(1)
      expect(r.streamAccuracy).toBeGreaterThan(0.9)
    }
    // Each version learned the seed slice and every escalation before it.
    expect(rounds.map((r) => r.escalationsLearned)).toEqual([
      0,
      rounds[0]!.escalated,
      rounds[0]!.escalated + rounds[1]!.escalated,
    ])
    expect(rounds.map((r) => r.trainingExamples - r.escalationsLearned)).toEqual([100, 100, 100])

    // Every escalation reached the ingest once, labelled, tagged with the version that escalated it.
    const samples = await ingested(out)
    expect(samples).toHaveLength(rounds.reduce((n, r) => n + r.escalated, 0))
    expect(rounds.at(-1)!.ingested).toBe(samples.length)
    for (const r of rounds) {
      expect(samples.filter((s) => s.model === r.model)).toHaveLength(r.escalated)
    }
    // By default a sample is what the cloud was already sent: condensed, addresses masked.
    for (const sample of samples) {
      expect(sample.textKind).toBe("condensed")
      expect(["ham", "spam"]).toContain(sample.label)
      expect(sample.text).not.toMatch(EMAIL)
      expect(trainingTexts.has(sample.text)).toBe(false)
    }

    // The registry it kept is sound and serves the last version with its threshold.
    const verified = await edgeline(["sync", "verify", join(out, "registry")])
    expect(verified.code, verified.stderr).toBe(0)
    const manifest = JSON.parse(
      await readFile(join(out, "registry", "channels", "stable.json"), "utf8"),
    ) as {
      manifest: {
        models: Array<{ name: string; version: string; metadata: { threshold: number } }>
      }
    }
    expect(manifest.manifest.models).toEqual([
      expect.objectContaining({
        name: "message-triage",
        version: "1.2.0",
        metadata: expect.objectContaining({ threshold: rounds[2]!.threshold }),
      }),
    ])

    // The table on stdout, progress on stderr.
    const lines = stdout.trim().split("\n")
    expect(lines[0]).toMatch(/^round\s+model\s+trained on\s+messages\s+escalated\s+rate/)
    expect(lines.slice(1, 4).map((l) => l.split(/\s+/).slice(0, 2))).toEqual([
      ["1", "1.0.0"],
      ["2", "1.1.0"],
      ["3", "1.2.0"],
    ])
    expect(stdout).toContain("fell every round")
    expect(stderr).toContain("the device's running pipeline switched to 1.2.0")
  }, 180_000)

  it("--share-raw-text sends each escalated message as written (the opt-in), and says so", async () => {
    const out = join(dir, "raw")
    const json = join(dir, "raw.json")
    const { code, stdout, stderr } = await edgeline([
      "flywheel",
      "--rounds",
      "2",
      "--per-round",
      "100",
      "--validation-size",
      "100",
      "--share-raw-text",
      "--no-progress",
      "--json",
      json,
      "--out",
      out,
    ])
    expect(code, stderr).toBe(0)
    expect(stderr).toBe("")
    const report = JSON.parse(await readFile(json, "utf8")) as Report
    expect(report.settings.trainingText).toBe("raw")
    const samples = await ingested(out)
    expect(samples.length).toBe(report.rounds.reduce((n, r) => n + r.escalated, 0))
    expect(samples.length).toBeGreaterThan(0)
    for (const sample of samples) {
      expect(sample.textKind).toBe("raw")
      expect(trainingTexts.has(sample.text)).toBe(true)
    }
    expect(stdout).toContain("the messages as written (--share-raw-text)")
  }, 120_000)

  it("refuses what it cannot do before any work, saying what to do (exit 2)", async () => {
    const full = join(dir, "full")
    await mkdir(full, { recursive: true })
    await writeFile(join(full, "something"), "")
    // Each is a CLI start: side by side, so a loaded machine does not add them up.
    const [notEmpty, tooMany, bad, noFile, foreign] = await Promise.all([
      edgeline(["flywheel", "--out", full]),
      edgeline(["flywheel", "--rounds", "10", "--per-round", "1000"]),
      edgeline(["flywheel", "--rounds", "0"]),
      edgeline(["flywheel", "--json"]),
      edgeline(["flywheel", "--threshold", "0.5"]),
    ])
    expect(notEmpty.code).toBe(2)
    expect(notEmpty.stderr).toMatch(/--out .* is not empty: give a new or empty directory/)

    expect(tooMany.code).toBe(2)
    expect(tooMany.stderr).toMatch(
      /needs 10100 training messages and the SpamAssassin training split has 2600: lower one of them/,
    )

    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("--rounds must be")

    expect(noFile.code).toBe(2)
    expect(noFile.stderr).toContain("--json")

    expect(foreign.code).toBe(2)
    expect(foreign.stderr).toContain("flywheel has no option --threshold")
  }, 120_000)
})
