/**
 * `edgeline triage`, run as users run it (the committed bin in a child
 * process) against `edgeline cloud serve` on loopback: the real student on
 * the device, the real teacher in the cloud tier.
 */
import { mkdtemp, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { askedTexts, type Serving, serving } from "./support/cloud.js"
import { edgeline } from "./support/edgeline.js"

const SPAM =
  "Subject: URGENT: claim your FREE prize now!!!\n\nClick here to claim your cash prize. Mail winner@prizes.example or call +1 415 555 0123."
const HAM =
  "Subject: Re: build failure on the nightly\nFrom: Ann <ann@example.org>\n\nThanks, I reverted the change to the Makefile; the nightly build passes again."

let server: Serving
let url: string
let dir: string
let data: string
const log = () => join(dir, "requests.jsonl")
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "edgeline-triage-"))
  server = serving(["--request-log", join(dir, "requests.jsonl")])
  url = `${await server.url}/v1`
  data = join(dir, "mail.jsonl")
  await writeFile(
    data,
    [
      JSON.stringify({ id: "s1", text: SPAM, label: "spam" }),
      "",
      JSON.stringify({ id: "h1", text: HAM }),
      JSON.stringify({ text: "Are we still on for lunch on Thursday?" }),
    ].join("\n"),
  )
})
afterAll(async () => {
  await server?.stop()
})

const lines = (stdout: string) =>
  stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l))

describe("edgeline triage", () => {
  it("--jsonl prints one line per input, in order, with exactly the documented fields", async () => {
    const { code, stdout, stderr } = await edgeline([
      "triage",
      "--data",
      data,
      "--cloud",
      url,
      "--jsonl",
    ])
    expect(stderr).toBe("")
    expect(code).toBe(0)
    const out = lines(stdout)
    expect(out.map((l) => l.id)).toEqual(["s1", "h1", "3"])
    for (const l of out) {
      expect(Object.keys(l)).toEqual([
        "id",
        "label",
        "confidence",
        "escalated",
        "degraded",
        "tokensSent",
      ])
      expect(["spam", "ham"]).toContain(l.label)
      expect(l.degraded).toBe(false)
      expect(l.tokensSent === 0).toBe(!l.escalated)
    }
    expect(out[0]).toMatchObject({ label: "spam", escalated: false })
    expect(out[1]).toMatchObject({ label: "ham", escalated: false })
  })

  it("escalates what the student is unsure of, condensed and masked: nothing personal reaches the cloud's log", async () => {
    // A threshold above every confidence: everything is unsure.
    const { code, stdout } = await edgeline([
      "triage",
      "--data",
      data,
      "--cloud",
      url,
      "--jsonl",
      "--threshold",
      "1.01",
    ])
    expect(code).toBe(0)
    const out = lines(stdout)
    expect(out.every((l) => l.escalated && l.tokensSent > 0 && l.tokensSent <= 384)).toBe(true)
    expect(out[0].label).toBe("spam")
    const asked = (await askedTexts(log())).join("\n")
    expect(asked).toContain("[email]")
    expect(asked).not.toContain("winner@prizes.example")
    expect(asked).not.toContain("ann@example.org")
    expect(asked).not.toContain("555 0123")
  })

  it("with the cloud unreachable, answers every message on the device, marked degraded, and exits 0", async () => {
    const { code, stdout } = await edgeline([
      "triage",
      "--data",
      data,
      "--cloud",
      "http://127.0.0.1:9/v1",
      "--jsonl",
      "--threshold",
      "1.01",
    ])
    expect(code).toBe(0)
    const out = lines(stdout)
    expect(out.map((l) => [l.label, l.escalated, l.degraded, l.tokensSent])).toEqual([
      ["spam", false, true, 0],
      ["ham", false, true, 0],
      [out[2].label, false, true, 0],
    ])
  })

  it("without --jsonl prints a summary", async () => {
    const { code, stdout } = await edgeline(["triage", "--data", data, "--cloud", url])
    expect(code).toBe(0)
    expect(stdout).toMatch(
      /^3 messages: \d answered on the device, \d by the cloud\ntokens sent to the cloud: \d+\n$/,
    )
  })

  it.each([
    [["triage", "--cloud", "http://x/v1"], "triage needs --data f.jsonl"],
    [
      ["triage", "--data", "nope.jsonl", "--cloud", "http://x/v1"],
      "nope.jsonl: no such file (--data)",
    ],
    [
      ["triage", "--data", "x.jsonl", "--cloud", "http://x/v1", "--threshold", "2"],
      "--threshold must be a number from 0 to 1.01",
    ],
    [
      ["triage", "--data", "x.jsonl", "--cloud", "http://x/v1", "--out", "y"],
      "triage has no option --out",
    ],
  ])("%j is a usage or input error: exit 2", async (args, says) => {
    const { code, stderr } = await edgeline(args, { env: { ...process.env, OPENAI_BASE_URL: "" } })
    expect(code).toBe(2)
    expect(stderr.split("\n")[0]).toContain(says)
  })

  it("a line that is not JSON is refused before anything is sent, naming the line", async () => {
    const bad = join(dir, "bad.jsonl")
    await writeFile(bad, `${JSON.stringify({ text: "fine" })}\n{oops\n`)
    const before = (await askedTexts(log())).length
    const { code, stderr } = await edgeline([
      "triage",
      "--data",
      bad,
      "--cloud",
      url,
      "--threshold",
      "1.01",
    ])
    expect(code).toBe(2)
    expect(stderr).toContain(`${bad}:2: not valid JSON`)
    expect((await askedTexts(log())).length).toBe(before)
  })
})
