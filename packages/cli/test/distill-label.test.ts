/**
 * `edgeline distill label`, run as users run it, against the real cloud
 * tier (`edgeline cloud serve` with its message-triage teacher) on real
 * SpamAssassin mail. The server's request log counts what was asked: a
 * rerun, after a full run or after a kill, asks nothing twice.
 */
import { spawn } from "node:child_process"
import { mkdtemp, readFile, rm } from "node:fs/promises"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { setTimeout as sleep } from "node:timers/promises"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { askedTexts, chatRequests, type Serving, serving } from "./support/cloud.js"
import { bin, edgeline } from "./support/edgeline.js"
import { jsonl, mix, writeJsonl } from "./support/mail.js"

const TEACHER = "message-triage-teacher"

let dir: string
let server: Serving
let base: string
let log: string
let data: string
let mail: Awaited<ReturnType<typeof mix>>

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "edgeline-distill-label-"))
  log = join(dir, "requests.jsonl")
  server = serving(["--request-log", log])
  mail = await mix("train", { ham: 60, spam: 30 })
  data = join(dir, "mail.jsonl")
  await writeJsonl(
    data,
    mail.map((m) => ({ id: m.id, text: m.text, label: m.label })),
  )
  base = `${await server.url}/v1`
}, 60_000)

afterAll(async () => {
  await server?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

const label = (cache: string, ...args: Array<string>) =>
  edgeline([
    "distill",
    "label",
    "--data",
    data,
    "--cloud",
    base,
    "--model",
    TEACHER,
    "--cache",
    cache,
    ...args,
  ])

/** A port nothing listens on. */
const closedPort = async (): Promise<number> => {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve))
  const { port } = probe.address() as { port: number }
  await new Promise((resolve) => probe.close(resolve))
  return port
}

describe("edgeline distill label", () => {
  it("labels every message with the real teacher, prints the summary, and a rerun asks nothing", async () => {
    const cache = join(dir, "labels.jsonl")
    const before = (await askedTexts(log)).length
    const first = await label(cache, "--json")
    expect(first.stderr).toBe("")
    expect(first.code).toBe(0)
    const summary = JSON.parse(first.stdout)
    expect(summary).toMatchObject({
      data,
      cache,
      total: mail.length,
      labelled: mail.length,
      cached: 0,
      failed: 0,
      interrupted: false,
      failures: [],
    })
    expect(summary.teacher).toMatch(/^openai:message-triage-teacher#/)
    expect(summary.promptTokens).toBeGreaterThan(mail.length * 10)
    expect(summary.completionTokens).toBeGreaterThan(0)
    expect(summary.costUsd).toBe(0)
    const asked = (await askedTexts(log)).slice(before)
    expect(asked).toHaveLength(mail.length)
    expect(new Set(asked)).toEqual(new Set(mail.map((m) => m.text)))

    // The cache: one answer per message, under its id; the real teacher knows real spam.
    const entries = jsonl(await readFile(cache, "utf8"))
    expect(entries.map((e) => e.id).sort()).toEqual(mail.map((m) => m.id).sort())
    const truth = new Map(mail.map((m) => [m.id, m.label]))
    const right = entries.filter((e) => e.label === truth.get(e.id)).length
    expect(right / entries.length).toBeGreaterThan(0.95)
    for (const e of entries) {
      expect(e.labels).toEqual(["ham", "spam"])
      expect(e.probabilities[0] + e.probabilities[1]).toBeCloseTo(1, 6)
    }

    const again = await label(cache)
    expect(again.code).toBe(0)
    expect(again.stdout).toContain(
      `labelled 0, cached ${mail.length}, failed 0 of ${mail.length} messages`,
    )
    expect(again.stdout).toMatch(/tokens: 0 prompt, 0 completion; cost \$0\.0000/)
    expect(again.stdout).toContain(`cache: ${cache} (teacher openai:message-triage-teacher#`)
    expect((await askedTexts(log)).length).toBe(before + mail.length)
  })

  it("--pricing prices the tokens; --progress draws a bar on stderr; OPENAI_BASE_URL stands in for --cloud", async () => {
    const cache = join(dir, "priced.jsonl")
    const run = await edgeline(
      [
        "distill",
        "label",
        "--data",
        data,
        "--model",
        TEACHER,
        "--cache",
        cache,
        "--pricing",
        "2.5,10",
        "--concurrency",
        "8",
        "--progress",
        "--json",
      ],
      { env: { ...process.env, OPENAI_BASE_URL: base } },
    )
    expect(run.code).toBe(0)
    const summary = JSON.parse(run.stdout)
    expect(summary.labelled).toBe(mail.length)
    expect(summary.costUsd).toBeCloseTo(
      (summary.promptTokens * 2.5 + summary.completionTokens * 10) / 1e6,
      9,
    )
    expect(run.stderr).toContain(`100% | ${mail.length}/${mail.length} | 0 failed | $`)
  })

  it("a killed run resumes: the rerun asks only for what the cache lacked", async () => {
    const cache = join(dir, "killed.jsonl")
    // Slow enough (20 requests a second, one at a time) that the kill lands part-way.
    const child = spawn(
      process.execPath,
      [
        bin,
        "distill",
        "label",
        "--data",
        data,
        "--cloud",
        base,
        "--model",
        TEACHER,
        "--cache",
        cache,
        "--rps",
        "20",
        "--concurrency",
        "1",
      ],
      { stdio: "ignore" },
    )
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on("exit", (_, signal) => resolve(signal)),
    )
    for (;;) {
      const lines = (await readFile(cache, "utf8").catch(() => "")).split("\n").length - 1
      if (lines >= 15) break
      await sleep(20)
    }
    child.kill("SIGKILL")
    expect(await exited).toBe("SIGKILL")
    // A request in flight at the kill may still be answered (and logged) by the server.
    await sleep(1000)
    const before = (await askedTexts(log)).length
    const held = jsonl(
      (await readFile(cache, "utf8")).split("\n").slice(0, -1).join("\n"), // whole lines only
    )
    expect(held.length).toBeGreaterThanOrEqual(15)
    expect(held.length).toBeLessThan(mail.length)

    const rerun = await label(cache, "--json")
    expect(rerun.code).toBe(0)
    const summary = JSON.parse(rerun.stdout)
    expect(summary.cached).toBe(held.length)
    expect(summary.labelled).toBe(mail.length - held.length)
    const asked = (await askedTexts(log)).slice(before)
    const heldTexts = new Set(held.map((e) => mail.find((m) => m.id === e.id)!.text))
    expect(asked).toHaveLength(mail.length - held.length)
    expect(asked.filter((text) => heldTexts.has(text))).toEqual([])
    const ids = jsonl(await readFile(cache, "utf8")).map((e) => e.id)
    expect(new Set(ids).size).toBe(mail.length)
    expect(ids).toHaveLength(mail.length)
  }, 60_000)

  it("SIGINT stops it cleanly: the answers so far stay, exit 130, and a rerun finishes", async () => {
    const cache = join(dir, "interrupted.jsonl")
    const child = spawn(
      process.execPath,
      [
        bin,
        "distill",
        "label",
        "--data",
        data,
        "--cloud",
        base,
        "--model",
        TEACHER,
        "--cache",
        cache,
        "--rps",
        "20",
        "--json",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    )
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    const closed = new Promise<number | null>((resolve) => child.on("close", resolve))
    for (;;) {
      if ((await readFile(cache, "utf8").catch(() => "")).split("\n").length > 10) break
      await sleep(20)
    }
    child.kill("SIGINT")
    expect(await closed).toBe(130)
    const summary = JSON.parse(stdout)
    expect(summary.interrupted).toBe(true)
    const held = jsonl(await readFile(cache, "utf8"))
    expect(summary.labelled).toBe(held.length)
    expect(held.length).toBeLessThan(mail.length)
    expect(stderr.trim().split("\n")).toEqual([
      `edgeline: interrupted; the answers so far are in ${cache}: run the same command again to go on`,
    ])
    const rerun = JSON.parse((await label(cache, "--json")).stdout)
    expect(rerun).toMatchObject({ cached: held.length, labelled: mail.length - held.length })
  }, 60_000)

  it("an unreachable --cloud: exit 2 at once, one line", async () => {
    const port = await closedPort()
    const run = await edgeline([
      "distill",
      "label",
      "--data",
      data,
      "--cloud",
      `http://127.0.0.1:${port}/v1`,
      "--model",
      TEACHER,
      "--cache",
      join(dir, "unreachable.jsonl"),
    ])
    expect(run.code).toBe(2)
    expect(run.stdout).toBe("")
    expect(run.stderr.trim().split("\n")).toEqual([
      `edgeline: cannot reach the teacher at http://127.0.0.1:${port}/v1 (ECONNREFUSED); is the server running and --cloud right? (\`edgeline cloud serve\` runs one on loopback)`,
    ])
  })

  it("the server's URL without /v1: exit 2, saying where the API starts", async () => {
    const root = await server.url
    const run = await edgeline([
      "distill",
      "label",
      "--data",
      data,
      "--cloud",
      root,
      "--model",
      TEACHER,
      "--cache",
      join(dir, "root.jsonl"),
    ])
    expect(run.code).toBe(2)
    expect(run.stderr.trim().split("\n")).toHaveLength(1)
    expect(run.stderr).toContain(`--cloud ${root}/v1`)
  })
})

describe("edgeline distill label: a server that refuses", () => {
  let guarded: Serving
  let guardedLog: string
  let guardedBase: string
  beforeAll(async () => {
    guardedLog = join(dir, "guarded-requests.jsonl")
    guarded = serving([
      "--api-key",
      "secret",
      "--max-body-bytes",
      "22000",
      "--request-log",
      guardedLog,
    ])
    guardedBase = `${await guarded.url}/v1`
  }, 60_000)
  afterAll(() => guarded?.stop())

  const run = (cache: string, args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = {}) =>
    edgeline(
      ["distill", "label", "--data", data, "--cloud", guardedBase, "--cache", cache, ...args],
      { env: { ...process.env, OPENAI_API_KEY: "", ...env } },
    )

  it("no API key: exit 2 before any message is sent", async () => {
    const result = await run(join(dir, "nokey.jsonl"), ["--model", TEACHER])
    expect(result.code).toBe(2)
    expect(result.stderr.trim().split("\n")).toEqual([
      `edgeline: the teacher at ${guardedBase} refused the request (401): give its API key with --api-key or OPENAI_API_KEY`,
    ])
    expect(await chatRequests(guardedLog)).toBe(0)
  })

  it("a model the server does not have: exit 2 at once, not one request per message", async () => {
    const result = await run(join(dir, "nomodel.jsonl"), [
      "--model",
      "no-such-model",
      "--api-key",
      "secret",
    ])
    expect(result.code).toBe(2)
    expect(result.stderr.trim().split("\n")).toEqual([
      `edgeline: the teacher at ${guardedBase} answered 404 for model "no-such-model": check --model, and that --cloud ends where the API starts (often /v1)`,
    ])
    // The job stops at the first refusal: at most the requests already in flight (4).
    expect(await chatRequests(guardedLog)).toBeLessThanOrEqual(4)
  })

  it("a message it refuses (too large) fails alone: exit 1, and the next run asks for it again", async () => {
    const cache = join(dir, "toolarge.jsonl")
    const before = await chatRequests(guardedLog)
    // The server takes bodies up to 22 000 bytes: these two messages are larger, the rest well under.
    const big = mail.filter((m) => JSON.stringify(m.text).length > 22_000)
    expect(big.length).toBeGreaterThan(0)
    const first = await run(cache, ["--model", TEACHER, "--json"], { OPENAI_API_KEY: "secret" })
    expect(first.code).toBe(1)
    const summary = JSON.parse(first.stdout)
    expect(summary.failed).toBe(big.length)
    expect(summary.labelled).toBe(mail.length - big.length)
    expect(summary.failures[0].error).toMatch(/413/)
    expect(first.stderr.trim().split("\n")).toHaveLength(1)
    expect(first.stderr).toMatch(
      new RegExp(
        `^edgeline: ${big.length} of ${mail.length} messages failed \\(.*413.*\\); run the same command again to ask for them`,
      ),
    )
    const second = await run(cache, ["--model", TEACHER, "--json"], { OPENAI_API_KEY: "secret" })
    expect(second.code).toBe(1)
    expect(JSON.parse(second.stdout)).toMatchObject({
      labelled: 0,
      cached: mail.length - big.length,
      failed: big.length,
    })
    // Each message once, and the refused ones once more.
    expect((await chatRequests(guardedLog)) - before).toBe(mail.length + big.length)
  })
})
