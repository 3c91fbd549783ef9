/**
 * The trainer's side of the flywheel's ingest: what it reads back from the
 * dev server's JSONL file as training data. Devices are not trusted, so a
 * sample of the wrong shape, with a label the task does not have, or with
 * no text is skipped and counted, never trained on.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as EscalationSample from "../src/flywheel/EscalationSample.js"

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "edgeline-flywheel-ingest-"))
})
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true })
})

const line = (id: string, name: string, payload: unknown) =>
  JSON.stringify({
    deviceId: "d1",
    received: "2026-01-01T00:00:00.000Z",
    event: { id, kind: "sample", name, at: "2026-01-01T00:00:00.000Z", payload },
  })

const good = {
  text: "Subject: lunch?\n\nAre we still on for Thursday?",
  label: "ham",
  studentLabel: "spam",
  studentConfidence: 0.61,
  model: "1.0.0",
  textKind: "condensed",
}

describe("EscalationSample.fromIngest", () => {
  it("reads the escalation samples, skipping and counting unusable ones and ignoring other events", async () => {
    const file = join(dir, "telemetry.jsonl")
    await writeFile(
      file,
      [
        line("a", EscalationSample.NAME, good),
        line("b", "drift.psi", { psi: 0.01 }),
        line("c", EscalationSample.NAME, { ...good, label: "urgent" }),
        line("d", EscalationSample.NAME, { text: 42 }),
        line("e", EscalationSample.NAME, { ...good, text: "  " }),
        line("f", EscalationSample.NAME, { ...good, label: "spam", textKind: "raw" }),
        // A torn last line: the server died mid-write and never acknowledged it.
        line("g", EscalationSample.NAME, good).slice(0, 40),
      ].join("\n"),
    )
    const read = await EscalationSample.fromIngest(file, ["ham", "spam"])
    expect(read.samples.map((s) => [s.id, s.deviceId, s.label, s.textKind])).toEqual([
      ["a", "d1", "ham", "condensed"],
      ["f", "d1", "spam", "raw"],
    ])
    expect(read.samples[0]).toMatchObject(good)
    expect(read.skipped).toBe(3)
  })

  it("reads a missing file as an empty ingest", async () => {
    expect(await EscalationSample.fromIngest(join(dir, "none.jsonl"), ["ham", "spam"])).toEqual({
      samples: [],
      skipped: 0,
    })
  })
})
