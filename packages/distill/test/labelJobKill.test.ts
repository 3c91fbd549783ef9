/**
 * A labelling job SIGKILLed part-way resumes: the rerun asks the server for
 * no item the cache already held, and the cache ends complete.
 */
import { spawn } from "node:child_process"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, expect, it } from "vitest"
import { LabelJob, OpenAiTeacher } from "../src/index.js"
import { type ChatServer, startChatServer } from "./support/chatServer.js"

const child = fileURLToPath(new URL("./fixtures/label-child.mjs", import.meta.url))
const N = 60
const items = Array.from({ length: N }, (_, i) => ({
  id: `mail-${i}`,
  text:
    i % 4 === 0
      ? `Mail ${i}: you are a WINNER, claim your FREE prize`
      : `Mail ${i}: the report is attached`,
}))

let server: ChatServer
let dir: string
/** Items past this one are held by the server until the kill, however fast the machine. */
const HELD_FROM = 16

beforeAll(async () => {
  server = await startChatServer({ delayMs: 10 })
  dir = await mkdtemp(join(tmpdir(), "edgeline-kill-"))
})
afterAll(async () => {
  await server.close()
  await rm(dir, { recursive: true, force: true })
})

/** Runs the child until it has printed `labelled <n>`, then SIGKILLs it. */
const runAndKill = (cache: string, itemsPath: string, n: number) =>
  new Promise<{ signal: NodeJS.Signals | null; printed: number }>((resolve, reject) => {
    const proc = spawn(process.execPath, [child, server.url, cache, itemsPath], {
      stdio: ["ignore", "pipe", "pipe"],
    })
    let printed = 0
    let stderr = ""
    proc.stderr.on("data", (chunk) => {
      stderr += chunk
    })
    proc.stdout.on("data", (chunk: Buffer) => {
      for (const match of chunk.toString().matchAll(/labelled (\d+)/g)) {
        printed = Math.max(printed, Number(match[1]))
      }
      if (printed >= n && proc.exitCode === null) proc.kill("SIGKILL")
    })
    proc.on("error", reject)
    proc.on("close", (code, signal) =>
      signal === "SIGKILL"
        ? resolve({ signal, printed })
        : reject(new Error(`child ended ${code}: ${stderr}`)),
    )
  })

it("a job killed part-way resumes without asking again for any cached item", async () => {
  const cache = join(dir, "labels.jsonl")
  const itemsPath = join(dir, "items.json")
  await writeFile(itemsPath, JSON.stringify(items))
  // Their first request is answered only after the test could run: the kill lands with them to do.
  for (const item of items.slice(HELD_FROM)) {
    server.script(item.text, [{ kind: "slow", delayMs: 600_000 }])
  }

  const killed = await runAndKill(cache, itemsPath, 12)
  expect(killed.signal).toBe("SIGKILL")
  server.unscript()
  const cachedBefore = new Map<string, LabelJob.Entry>()
  for await (const entry of LabelJob.read(cache)) cachedBefore.set(entry.key, entry)
  expect(cachedBefore.size).toBeGreaterThanOrEqual(12)
  expect(cachedBefore.size).toBeLessThanOrEqual(HELD_FROM)
  const asked = new Map(items.map((item) => [item.text, server.countFor(item.text)]))

  // The same teacher as the child's, so the same keys.
  const teacher = OpenAiTeacher.make({ baseUrl: server.url, model: "big", labels: ["ham", "spam"] })
  const rerun = await LabelJob.runPromise({ teacher, items, cache, concurrency: 4 })
  expect(rerun.failed).toEqual([])
  expect(rerun.cached).toBe(cachedBefore.size)
  expect(rerun.labelled).toBe(N - cachedBefore.size)

  for (const item of items) {
    const key = LabelJob.keyOf(teacher, item.text)
    const before = asked.get(item.text) ?? 0
    if (cachedBefore.has(key)) expect(server.countFor(item.text), item.id).toBe(before)
    else expect(server.countFor(item.text), item.id).toBe(before + 1)
  }
  const after = await LabelJob.load(cache, teacher)
  expect([...after.values()].map((e) => e.id).sort()).toEqual(items.map((i) => i.id).sort())
  // The entries written before the kill are untouched.
  for (const [key, entry] of cachedBefore) expect(after.get(key)).toEqual(entry)
})
