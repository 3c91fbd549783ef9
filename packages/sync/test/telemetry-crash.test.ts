/**
 * The telemetry outbox end to end through crashes and outages: 10 000
 * events recorded by child processes (test/support/telemetry-crasher.mjs,
 * real `OutboxFile` journals, real fsyncs) that are killed with SIGKILL at
 * seeded instants, uploading over loopback HTTP through the chaos proxy
 * (outages come and go: 503s, requests cut mid-body, answers stalled past
 * the client's timeout and cut) to the dev server's ingest, which is
 * itself restarted a few times. Nothing is mocked. The outbox's capacity
 * is the run's 10 000 events, so it is never full: nothing is dropped or
 * summed, and every event must arrive as it was recorded.
 *
 * After every kill: each event whose `record` had returned is in the
 * journal or on the server (durable before `record` returns). At the end,
 * once the faults stop and a last child has flushed: the server's
 * append-only file holds exactly the 10 000 ids, each once, with the
 * content recorded, and nothing else; the events it got more than once
 * (at least once) were counted as duplicates, not stored.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { setTimeout as sleep } from "node:timers/promises"
import { fileURLToPath } from "node:url"
import type { Telemetry } from "@edgeline/core"
import { afterEach, describe, expect, it } from "vitest"
import { DevServer, OutboxFile } from "../src/node/index.js"
import * as ChaosProxy from "./support/ChaosProxy.js"
import { random } from "./support/random.mjs"
import { idOf, inputOf, numberOf, TOKEN, TOTAL } from "./support/telemetry-events.mjs"

const support = (name: string) => fileURLToPath(new URL(`./support/${name}`, import.meta.url))

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** Kills of a child mid-run (one more, after it recorded the rest, if some were left). */
const KILLS = 16

type Plan =
  | { readonly kind: "timer"; readonly ms: number }
  | { readonly kind: "mid-record"; readonly records: number }
  | { readonly kind: "after recording"; readonly ms: number }
/** The ingest is restarted during these cycles. */
const RESTART_IN = new Set([2, 6, 10, 13])

/** Outages the proxy puts on between healthy spells; every one passes some requests, or none. */
const OUTAGES: Record<string, ReadonlyArray<ChaosProxy.Rule>> = {
  "503": [{ probability: 1, fault: { kind: "status", status: 503 } }],
  "cut requests": [{ probability: 0.8, fault: { kind: "cutRequest" } }],
  // Past the client's 1 s timeout, after the server stored the batch: it comes again.
  "stalled answers": [
    { probability: 0.6, fault: { kind: "stall", ms: 1500, at: "headers", after: "cut" } },
    { probability: 1, fault: { kind: "stall", ms: 200, at: "headers" } },
  ],
  flaky: [
    { probability: 0.25, fault: { kind: "status", status: 503 } },
    { probability: 0.2, fault: { kind: "cutRequest" } },
    { probability: 0.2, fault: { kind: "stall", ms: 300, at: "headers", after: "cut" } },
    { probability: 0.2, fault: { kind: "cut" } },
  ],
}

/** The ids the server's append-only file holds, in order (a line being written is left out). */
const storedIds = (text: string): Array<string> => {
  const ids: Array<string> = []
  for (const line of text.split("\n")) {
    try {
      ids.push((JSON.parse(line) as { event: Telemetry.Event }).event.id)
    } catch {}
  }
  return ids
}

interface Child {
  readonly process: ChildProcess
  /** Resolves with the exit once it is gone. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  readonly stderr: () => string
}

/** Starts a child; `onLine` gets each line it prints. */
const startChild = (args: ReadonlyArray<string>, onLine: (line: string) => void): Child => {
  const child = spawn(process.execPath, [support("telemetry-crasher.mjs"), ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  })
  let stderr = ""
  let pending = ""
  child.stderr!.on("data", (data) => {
    stderr += data
  })
  child.stdout!.on("data", (data) => {
    pending += data
    const lines = pending.split("\n")
    pending = lines.pop()!
    for (const line of lines) onLine(line)
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal })),
  )
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
    await exited
  })
  return { process: child, exited, stderr: () => stderr }
}

describe("telemetry outbox through kill -9, outages and ingest restarts", () => {
  it("10 000 events recorded by children killed at seeded instants: the server holds exactly the 10 000 ids, each once", async () => {
    const started = Date.now()
    const dir = await mkdtemp(join(tmpdir(), "edgeline-telemetry-crash-"))
    cleanups.push(() => rm(dir, { recursive: true, force: true }))
    const queueFile = join(dir, "outbox.jsonl")
    const ingestFile = join(dir, "telemetry.jsonl")
    const todoFile = join(dir, "todo.json")
    const next = random(20261204)

    // The ingest, restarted on the same port; the proxy in front of it stays.
    const startIngest = (port?: number) =>
      DevServer.start({ directory: dir, port, telemetry: { file: ingestFile, tokens: [TOKEN] } })
    let ingest = await startIngest()
    const port = Number(new URL(ingest.url).port)
    let duplicates = 0
    let restarts = 0
    cleanups.push(() => ingest.close())
    const restartIngest = async () => {
      duplicates += ingest.stats().duplicates
      await ingest.close()
      await sleep(100 + Math.floor(next() * 400))
      ingest = await startIngest(port)
      restarts++
    }
    const proxy = await ChaosProxy.start({ target: ingest.url, seed: 20261204 })
    cleanups.push(() => proxy.close())
    const endpoint = `${proxy.url}/v1/telemetry`

    // Outages come and go until the faults stop.
    let chaos = true
    const outages: Record<string, number> = {}
    const weather = (async () => {
      const modes = Object.keys(OUTAGES)
      while (chaos) {
        proxy.setFaults([])
        await sleep(300 + Math.floor(next() * 1200))
        if (!chaos) break
        const mode = modes[Math.floor(next() * modes.length)]!
        outages[mode] = (outages[mode] ?? 0) + 1
        proxy.setFaults(OUTAGES[mode]!)
        await sleep(200 + Math.floor(next() * 1000))
      }
      proxy.setFaults([])
    })()

    const recorded = new Set<number>()
    const uploads = { ok: 0, failed: 0 }
    const onUpload = (line: string) => {
      if (line === "upload ok") uploads.ok++
      else uploads.failed++
    }
    let kills = 0
    const killedWhen: Record<string, number> = {}
    let tornJournals = 0
    let mostQueued = 0

    for (let cycle = 0; kills < KILLS || recorded.size < TOTAL; cycle++) {
      const todo = Array.from({ length: TOTAL }, (_, n) => n).filter((n) => !recorded.has(n))
      await writeFile(todoFile, JSON.stringify(todo))
      // Killed at a seeded instant after it is ready, or (every other cycle)
      // right after its k-th record returns, with other records of its burst
      // in the middle of their write. Past KILLS, only once all are recorded.
      const plan: Plan =
        cycle >= KILLS
          ? { kind: "after recording", ms: Math.floor(next() * 300) }
          : cycle % 2 === 1 && todo.length > 0
            ? { kind: "mid-record", records: 1 + Math.floor(next() * Math.min(400, todo.length)) }
            : { kind: "timer", ms: 100 + Math.floor(next() * 1400) }
      const restartAtMs = RESTART_IN.has(cycle) ? Math.floor(next() * 800) : undefined
      let okSeen = 0
      let killed = false
      let restarting: Promise<void> | undefined
      let restartTimer: NodeJS.Timeout | undefined
      const kill = () => {
        if (killed) return
        killed = true
        child.process.kill("SIGKILL")
      }
      const child = startChild([queueFile, endpoint, todoFile, String(cycle + 1)], (line) => {
        if (line.startsWith("ready ")) {
          mostQueued = Math.max(mostQueued, Number(line.slice(6)))
          if (plan.kind === "timer") setTimeout(kill, plan.ms)
          if (restartAtMs !== undefined) {
            restartTimer = setTimeout(() => {
              restarting = restartIngest()
            }, restartAtMs)
          }
        } else if (line.startsWith("ok ")) {
          recorded.add(Number(line.slice(3)))
          if (plan.kind === "mid-record" && ++okSeen === plan.records) kill()
        } else if (line === "recorded") {
          if (plan.kind === "after recording") setTimeout(kill, plan.ms)
        } else if (line.startsWith("upload ")) {
          onUpload(line)
        }
      })
      const exit = await child.exited
      expect({ ...exit, stderr: child.stderr() }).toEqual({
        code: null,
        signal: "SIGKILL",
        stderr: "",
      })
      kills++
      killedWhen[plan.kind] = (killedWhen[plan.kind] ?? 0) + 1
      // A restart planned for this child's life happens, even if it died first.
      clearTimeout(restartTimer)
      if (restartAtMs !== undefined) await (restarting ?? restartIngest())

      // Every event whose record returned is in the journal the child left,
      // or on the server (its answer came before the journal forgot it).
      const journal = await readFile(queueFile).catch(() => Buffer.alloc(0))
      const left = OutboxFile.recover(journal)
      if (left.intactEnd < left.size) tornJournals++
      const onServer = new Set(storedIds(await readFile(ingestFile, "utf8").catch(() => "")))
      const lost = [...recorded].map(idOf).filter((id) => !left.events.has(id) && !onServer.has(id))
      expect(lost, `cycle ${cycle}: recorded, then neither queued nor stored`).toEqual([])
      for (const id of [...left.events.keys(), ...onServer]) {
        expect(numberOf(id), `an id nobody recorded: ${id}`).toBeDefined()
      }
    }

    // The faults stop; a last child uploads what is left.
    chaos = false
    await weather
    await writeFile(todoFile, "[]")
    const final = startChild([queueFile, endpoint, todoFile, "0", "final"], (line) => {
      if (line.startsWith("upload ")) onUpload(line)
    })
    expect({ ...(await final.exited), stderr: final.stderr() }).toEqual({
      code: 0,
      signal: null,
      stderr: "",
    })
    duplicates += ingest.stats().duplicates
    await ingest.close()

    const lines = (await readFile(ingestFile, "utf8")).split("\n").filter(Boolean)
    const stored = lines.map(
      (line) => JSON.parse(line) as { deviceId: string; event: Telemetry.Event },
    )
    const ids = stored.map((s) => s.event.id)
    const report = {
      events: TOTAL,
      kills,
      killedWhen,
      ingestRestarts: restarts,
      outages,
      injected: proxy.stats().injected,
      uploads: { ...uploads, retriedBatches: uploads.failed },
      duplicatesCountedNotStored: duplicates,
      tornJournalsLeft: tornJournals,
      mostQueuedAtStart: mostQueued,
      seconds: Math.round((Date.now() - started) / 100) / 10,
    }
    console.log(JSON.stringify(report, null, 1))

    expect(recorded.size).toBe(TOTAL)
    expect(lines.length, "each id stored once").toBe(TOTAL)
    expect(new Set(ids).size).toBe(TOTAL)
    expect(ids.map((id) => numberOf(id)).sort((a, b) => a! - b!)).toEqual(
      Array.from({ length: TOTAL }, (_, n) => n),
    )
    for (const { deviceId, event } of stored) {
      const { id: _id, ...content } = inputOf(numberOf(event.id)!)
      expect({ deviceId, ...event }).toMatchObject({ deviceId: "crash-device", ...content })
    }
    expect(OutboxFile.recover(await readFile(queueFile)).events.size, "queue left").toBe(0)
    // The faults happened: this was not a quiet run.
    expect(kills).toBeGreaterThanOrEqual(KILLS)
    expect(restarts).toBe(RESTART_IN.size)
    expect(Object.values(outages).reduce((a, b) => a + b, 0)).toBeGreaterThan(0)
    expect(uploads.failed, "upload attempts that failed and were retried").toBeGreaterThan(0)
    expect(duplicates, "events delivered more than once, counted and not stored").toBeGreaterThan(0)
  }, 240_000)
})
