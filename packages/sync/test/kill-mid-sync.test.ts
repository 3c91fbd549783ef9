/**
 * kill -9 of a device in the middle of a sync: a child process
 * (test/support/sync-child.mjs) runs a real `SyncClient` over a `FileStore`
 * against a registry this test publishes, served by the dev server through
 * the chaos proxy (short stalls and a few cuts, so a sync takes long
 * enough to be hit, and partial chunks are left to resume). The test kills
 * it with SIGKILL at a seeded instant: any time, or while it appends to a
 * partial chunk, assembles a model, commits or collects. After each kill
 * the store must verify clean: it reopens, no temporary file is left, the
 * models its state names are there and hash to the sha256 published for
 * their version, every chunk and model file is whole, every partial is a
 * prefix of its chunk, and the active version never goes back. Then a last
 * child, with the faults off, converges to the latest version, and
 * onnxruntime-node loads it. (file-store.test.ts kills the store alone;
 * this kills it under the client.)
 */
import { spawn } from "node:child_process"
import { createHash } from "node:crypto"
import { readdir, readFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Layout } from "../src/index.js"
import { FileStore } from "../src/node/index.js"
import { bundle } from "./support/bundle.js"
import * as ChaosProxy from "./support/ChaosProxy.js"
import * as OnnxVariant from "./support/OnnxVariant.js"
import * as StoreDirectory from "./support/StoreDirectory.js"
import { random } from "./support/store-content.mjs"
import * as TestRegistry from "./support/TestRegistry.js"

const require = createRequire(import.meta.url)
const SILERO = require.resolve("@edgeline/model-silero-vad/silero_vad_v5.onnx")
const CHILD_SOURCE = fileURLToPath(new URL("./support/sync-child.mjs", import.meta.url))
const MODEL = "silero-vad"
const KILLS = 50

const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)
const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex")

/** Short stalls on some blobs and a few cuts: a sync is spread out a little, and leaves partials. */
const FAULTS: ReadonlyArray<ChaosProxy.Rule> = [
  { path: ChaosProxy.blobs, probability: 0.08, fault: { kind: "cut" } },
  { path: ChaosProxy.blobs, probability: 0.2, fault: { kind: "stall", ms: 15 } },
  { path: ChaosProxy.blobs, probability: 0.05, fault: { kind: "stall", ms: 60 } },
  { path: ChaosProxy.manifests, probability: 0.1, fault: { kind: "stall", ms: 30 } },
  { probability: 0.04, fault: { kind: "status", status: 503, retryAfter: 1 } },
]

let reg: TestRegistry.TestRegistry
let proxy: ChaosProxy.ChaosProxy
/** The child, bundled (see support/bundle.ts): it starts 50 times and more. */
let childScript: string
beforeAll(async () => {
  reg = await TestRegistry.start("edgeline-sync-kill-")
  childScript = join(reg.dir, "sync-child.mjs")
  await bundle(CHILD_SOURCE, childScript)
  proxy = await ChaosProxy.start({ target: reg.server.url, seed: 20261203, faults: FAULTS })
})
afterAll(async () => {
  await proxy?.close()
  await reg?.close()
})

/** How a child ended, and what it printed. */
interface Ended {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly lines: ReadonlyArray<string>
  readonly stderr: string
}

/**
 * Runs the child on `store`; `onLine` sees each line it prints and may
 * return a delay in ms after which the child is killed (the first such
 * answer wins).
 */
const device = (store: string, onLine: (line: string) => number | undefined = () => undefined) =>
  new Promise<Ended>((resolve) => {
    const child = spawn(
      process.execPath,
      [childScript, store, proxy.url, "stable", JSON.stringify(reg.keys.publicKey), MODEL],
      { stdio: ["ignore", "pipe", "pipe"] },
    )
    const lines: Array<string> = []
    let pending = ""
    let stderr = ""
    let aimed = false
    child.stderr.on("data", (data) => {
      stderr += data
    })
    child.stdout.on("data", (data) => {
      pending += data
      const complete = pending.split("\n")
      pending = complete.pop()!
      for (const line of complete) {
        lines.push(line)
        const delay = aimed ? undefined : onLine(line)
        if (delay !== undefined) {
          aimed = true
          setTimeout(() => child.kill("SIGKILL"), delay)
        }
      }
    })
    child.on("close", (code, signal) => resolve({ code, signal, lines, stderr }))
  })

/** What one kill saw. */
interface Cycle {
  readonly mode: string
  /** The last store operation (or client status) the child announced before it died. */
  readonly during: string
  readonly before: StoreDirectory.Leftovers
  readonly partials: number
}

interface Version {
  readonly version: string
  readonly sha256: string
  readonly size: number
  readonly manifest: number
  readonly chunks: ReadonlyArray<string>
}

describe("SyncClient: kill -9 mid-sync leaves a store that verifies clean", () => {
  it("50 kills of a child syncing through a chaos proxy (seeded): each time the store reopens clean and names only whole published models; then a last run converges to the latest version", async () => {
    const dir = join(reg.dir, "device")
    const next = random(4242)
    const silero = new Uint8Array(await readFile(SILERO))
    const published = new Map<string, Version>()
    const order: Array<string> = []
    const publish = async () => {
      const k = order.length
      // The model itself, then versions with 100 to 400 KB appended: 2 to 7 new chunks each.
      const bytes =
        k === 0
          ? silero
          : OnnxVariant.variant(silero, `${k}`, 100_000 + Math.floor(next() * 300_000), next)
      const version = `5.0.${k}`
      const out = await reg.publish(bytes, MODEL, version)
      published.set(version, {
        version,
        sha256: out.model.sha256,
        size: out.model.size,
        manifest: out.manifest.version,
        chunks: out.model.chunks.map((c) => c.sha256),
      })
      order.push(version)
    }
    /** The bytes of a blob the registry serves, to tell a partial from garbage. */
    const blob = (sha256: string) => readFile(join(reg.dir, "registry", Layout.blobPath(sha256)))

    const modes = ["any time", "in a download", "in assembly", "in a commit", "in collect"] as const
    const cycles: Array<Cycle> = []
    let finished = 0
    /** The active version's place in `order` at the last check (-1: none yet). */
    let lastActive = -1

    for (let attempt = 0; cycles.length < KILLS; attempt++) {
      expect(attempt, "too many children finished before their kill").toBeLessThan(KILLS * 2)
      // Something to sync: a new version when the device has the latest, and now and then
      // one more while it is still behind (it then skips to the newest).
      if (lastActive === order.length - 1 || next() < 0.15) await publish()

      const mode = modes[attempt % modes.length]!
      // Which occurrence of the awaited operation: a sync appends many times, commits twice
      // (the model, then the channel), assembles and collects once.
      const nth =
        1 + Math.floor(next() * (mode === "in a download" ? 12 : mode === "in a commit" ? 2 : 1))
      const delay = next()
      let seen = 0
      const ended = await device(dir, (line) => {
        if (mode === "any time") return line.startsWith("ready") ? delay * 400 : undefined
        const awaited =
          mode === "in a download"
            ? "op appendPartial"
            : mode === "in assembly"
              ? "op writeModel"
              : mode === "in a commit"
                ? "op commit"
                : "op collect"
        if (line !== awaited || ++seen !== nth) return undefined
        return delay * (mode === "in assembly" ? 40 : 3)
      })
      expect(ended.stderr).toBe("")
      if (ended.signal !== "SIGKILL") {
        // It finished before the kill: a sync to the end, checked like any other.
        expect(ended.code, ended.lines.slice(-5).join("\n")).toBe(0)
        expect(ended.lines.at(-1)).toBe(`idle ${order.at(-1)}`)
        finished++
      }

      // What the kill left, before recovery touches it.
      const before = await StoreDirectory.leftovers(dir)
      const store = await run(FileStore.make(dir))
      expect(await readdir(join(dir, "tmp"))).toEqual([])
      const recovered = await run(store.state)
      const entry = recovered.models[MODEL]
      for (const installed of [entry?.active, entry?.previous]) {
        if (installed === undefined) continue
        const expected = published.get(installed.version)
        expect(expected, `${installed.version} was published`).toBeDefined()
        expect(installed.sha256).toBe(expected!.sha256)
        const bytes = await run(store.readModel(installed.sha256))
        expect(bytes, `${installed.version} is in the store`).toBeDefined()
        expect(bytes!.length).toBe(installed.size)
        expect(sha(bytes!), `${installed.version} is whole`).toBe(installed.sha256)
      }
      // Once a version was active, one is, and never an older one (nothing rolls back here).
      const now = entry === undefined ? -1 : order.indexOf(entry.active.version)
      expect(now).toBeGreaterThanOrEqual(lastActive)
      lastActive = now
      // A manifest is recorded as handled (its version and ETag) only once its model is
      // active: after a kill the active version is that manifest's, or a newer one.
      const accepted = recovered.channels.stable?.accepted
      if (accepted !== undefined) {
        const handled = order.findIndex((v) => published.get(v)!.manifest === accepted)
        expect(handled, `manifest ${accepted} was published`).toBeGreaterThanOrEqual(0)
        expect(now, `manifest ${accepted} accepted`).toBeGreaterThanOrEqual(handled)
      }
      // No file under a content address is half written; every partial is a prefix of its chunk.
      expect(await StoreDirectory.misnamed(dir)).toEqual([])
      const partials = await StoreDirectory.files(join(dir, "partials"))
      for (const name of partials) {
        const bytes = await run(store.readPartial(name))
        if (bytes === undefined) continue
        const whole = await blob(name)
        expect(bytes.length, `partial ${name}`).toBeLessThanOrEqual(whole.length)
        expect(Buffer.compare(bytes, whole.subarray(0, bytes.length)), `partial ${name}`).toBe(0)
      }

      if (ended.signal === "SIGKILL") {
        const announced = ended.lines.filter((l) => l.startsWith("op ") || l.startsWith("status "))
        cycles.push({
          mode,
          during: announced.at(-1) ?? "starting",
          before,
          partials: partials.length,
        })
      }
    }

    // The faults stop; a last run reaches the latest version and leaves only what it needs.
    proxy.setFaults([])
    const latest = published.get(order.at(-1)!)!
    const last = await device(dir)
    expect(last.stderr).toBe("")
    expect(last.code, last.lines.slice(-5).join("\n")).toBe(0)
    expect(last.lines.at(-1)).toBe(`idle ${latest.version}`)
    const store = await run(FileStore.make(dir))
    const state = await run(store.state)
    expect(state.models[MODEL]?.active).toMatchObject({
      version: latest.version,
      sha256: latest.sha256,
    })
    expect(state.channels.stable?.accepted).toBe(latest.manifest)
    expect(await StoreDirectory.files(join(dir, "partials"))).toEqual([])
    expect(await StoreDirectory.misnamed(dir)).toEqual([])
    expect((await StoreDirectory.files(join(dir, "chunks"))).map((f) => f.slice(3))).toEqual(
      [...new Set(latest.chunks)].sort(),
    )
    const kept = [state.models[MODEL]!.active, state.models[MODEL]!.previous]
    expect(await StoreDirectory.files(join(dir, "models"))).toEqual(
      kept.flatMap((m) => (m === undefined ? [] : [m.sha256])).sort(),
    )
    const ort = await import("onnxruntime-node")
    for (const installed of kept) {
      if (installed === undefined) continue
      const bytes = await run(store.readModel(installed.sha256))
      const session = await ort.InferenceSession.create(bytes!)
      await session.release()
    }

    const count = (key: (c: Cycle) => string) =>
      Object.fromEntries(
        [...new Set(cycles.map(key))].map((k) => [k, cycles.filter((c) => key(c) === k).length]),
      )
    console.log(
      JSON.stringify(
        {
          kills: cycles.length,
          finishedBeforeTheKill: finished,
          versions: order.length,
          mode: count((c) => c.mode),
          during: count((c) => c.during),
          leftTemporaryFiles: cycles.filter((c) => c.before.temporaryFiles > 0).length,
          leftTornJournal: cycles.filter((c) => c.before.tornJournal).length,
          leftTornPartial: cycles.filter((c) => c.before.tornPartials > 0).length,
          leftPartials: cycles.filter((c) => c.partials > 0).length,
          faults: proxy.stats().injected,
        },
        null,
        1,
      ),
    )
    expect(cycles).toHaveLength(KILLS)
    // The kills landed in several kinds of work: downloads, assembly, commits, collection.
    const during = new Set(cycles.map((c) => c.during.replace(/^(op|status) /, "")))
    for (const work of ["appendPartial", "writeModel", "commit", "collect"]) {
      expect([...during], work).toContain(work)
    }
  }, 600_000)
})
