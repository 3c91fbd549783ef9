/**
 * The device client over a broken network: a real `SyncClient` fetching
 * real ONNX models, published with `Publish` and served by the dev server,
 * through the chaos proxy (test/support/ChaosProxy.ts), which cuts bodies
 * at random offsets, answers 500 and 503 with Retry-After, stalls shorter
 * and longer than the client's `stallMs`, flips bytes, truncates manifests
 * and sends wrong Content-Lengths.
 *
 * 200 seeded runs, each a new device (in memory, or on files for a fifth
 * of them) following a model through several published versions with the
 * faults on, then with them off. After every check: the models the device
 * lists hash to the sha256 the publisher gave that version (no corrupt
 * activation), and once one was active one still is (a loadable model
 * always present). Once the faults stop, a few checks reach the latest
 * version, and onnxruntime-node loads what the device serves.
 *
 * Publishing takes tens of milliseconds a version on a busy machine, so
 * each channel's versions are published once, and every run replays a
 * rising sequence of the manifests `Publish` wrote (the files as they
 * were, blobs never deleted), as a device checking now and then sees them.
 * Runs go three at a time, each lane on channels of its own, so one run's
 * stalls and disk flushes overlap another's work.
 */
import { createHash } from "node:crypto"
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ModelRef } from "@edgeline/core"
import { Effect, Result } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  Layout,
  MemoryStore,
  type ModelUnavailableError,
  type Store,
  type SyncClient,
} from "../src/index.js"
import * as AtomicFile from "../src/node/AtomicFile.js"
import { FileStore } from "../src/node/index.js"
import * as ChaosProxy from "./support/ChaosProxy.js"
import * as OnnxVariant from "./support/OnnxVariant.js"
import { random } from "./support/store-content.mjs"
import * as TestRegistry from "./support/TestRegistry.js"

const require = createRequire(import.meta.url)
const SILERO = require.resolve("@edgeline/model-silero-vad/silero_vad_v5.onnx")
const TRIAGE = require.resolve("@edgeline/model-message-triage/model.onnx")

const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)
const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex")

/** The client's stall bound: short, so a run with long stalls stays cheap. */
const STALL_MS = 150
const RUNS = 200
/** Runs at a time; run i goes in lane i % LANES (so a seed always meets the same channel paths). */
const LANES = 3

interface Published {
  readonly version: string
  readonly sha256: string
  readonly size: number
  /** The manifest version that carries it, and that manifest's file as `Publish` wrote it. */
  readonly manifest: number
  readonly file: string
}

/** A channel of one model, and the versions published on it, oldest first. */
interface Line {
  readonly channel: string
  readonly name: string
  readonly versions: ReadonlyArray<Published>
}

let reg: TestRegistry.TestRegistry
let scratch: string
/** Per lane, a channel for each model. */
let lanes: ReadonlyArray<{ readonly triage: Line; readonly silero: Line }>

/**
 * Publishes `count` versions of `model` on `channel`: the model, then
 * variants with up to `tail` bytes of metadata appended (new trailing
 * chunks, still loadable), keeping each manifest file. The variants are
 * the same on every channel, so the channels share their blobs.
 */
const publishLine = async (
  model: string,
  name: string,
  channel: string,
  count: number,
  tail: number,
): Promise<Line> => {
  const base = new Uint8Array(await readFile(model))
  const next = random(count * tail)
  const versions: Array<Published> = []
  for (let k = 0; k < count; k++) {
    const bytes =
      k === 0 ? base : OnnxVariant.variant(base, `${k}`, 1000 + Math.floor(next() * tail), next)
    const version = `1.0.${k}`
    const out = await reg.publish(bytes, name, version, { channel })
    const file = await readFile(join(reg.dir, "registry", Layout.manifestPath(channel)), "utf8")
    versions.push({
      version,
      sha256: out.model.sha256,
      size: out.model.size,
      manifest: out.manifest.version,
      file,
    })
  }
  return { channel, name, versions }
}

/** Puts a manifest `Publish` wrote back in place, atomically, as a publisher's upload does. */
const serve = (line: Line, published: Published) =>
  AtomicFile.write(join(reg.dir, "registry", Layout.manifestPath(line.channel)), published.file)

beforeAll(async () => {
  reg = await TestRegistry.start("edgeline-sync-chaos-")
  scratch = await mkdtemp(join(tmpdir(), "edgeline-sync-chaos-stores-"))
  const published = []
  for (let lane = 0; lane < LANES; lane++) {
    published.push({
      triage: await publishLine(TRIAGE, "triage", `triage-${lane}`, 8, 60_000),
      silero: await publishLine(SILERO, "silero-vad", `silero-${lane}`, 4, 200_000),
    })
  }
  lanes = published
}, 120_000)
afterAll(async () => {
  await reg?.close()
  await rm(scratch, { recursive: true, force: true })
})

/** Models onnxruntime-node made a session of, by sha256: the same bytes load again. */
const loaded = new Set<string>()
/** onnxruntime-node makes a session of `bytes`: the model is loadable, not only whole. */
const load = async (bytes: Uint8Array) => {
  const digest = sha(bytes)
  if (loaded.has(digest)) return
  const ort = await import("onnxruntime-node")
  const session = await ort.InferenceSession.create(bytes)
  await session.release()
  loaded.add(digest)
}

describe("SyncClient through a chaos proxy: one fault", () => {
  it("a manifest whose body stalls mid-way fails the check as a stall after stallMs, and the next check succeeds", async () => {
    const line = lanes[0]!.triage
    await serve(line, line.versions[0]!)
    const proxy = await ChaosProxy.start({
      target: reg.server.url,
      seed: 1,
      // Far longer than the test's timeout: only a client that gives up can pass.
      faults: [
        {
          path: ChaosProxy.manifests,
          on: [0],
          fault: { kind: "stall", ms: 600_000, at: 100 },
        },
      ],
    })
    // Long enough for the answer's headers on a loaded machine: the body is what stalls.
    const stallMs = 2_000
    const device = await reg.client(MemoryStore.make(), {
      registry: proxy.url,
      channel: line.channel,
      stallMs,
    })
    try {
      const stalled = await run(Effect.flip(device.client.ensure("triage", "latest")))
      expect(stalled).toMatchObject({ _tag: "DownloadError", permanent: false })
      expect(stalled.message).toContain(`stalled, no bytes for ${stallMs} ms`)
      expect(proxy.stats().injected.stall).toBe(1)
      expect((await run(device.client.ensure("triage", "latest"))).version).toBe("1.0.0")
    } finally {
      await device.close()
      await proxy.close()
    }
  })

  it("download progress counts the bytes on the device: a corrupt chunk fetched again does not take it past the total, and it ends at the total", async () => {
    const line = lanes[0]!.triage
    await serve(line, line.versions[0]!)
    const proxy = await ChaosProxy.start({
      target: reg.server.url,
      seed: 3,
      faults: [{ path: ChaosProxy.blobs, on: [0], fault: { kind: "corrupt" } }],
    })
    const device = await reg.client(MemoryStore.make(), {
      registry: proxy.url,
      channel: line.channel,
    })
    try {
      await run(device.client.ensure("triage", "latest"))
      expect(proxy.stats().injected.corrupt).toBe(1)
      const progress = device.statuses.flatMap((s) => (s._tag === "Downloading" ? [s] : []))
      expect(progress.filter((p) => p.done > p.total)).toEqual([])
      expect(progress.at(-1)).toMatchObject({
        done: line.versions[0]!.size,
        total: line.versions[0]!.size,
      })
    } finally {
      await device.close()
      await proxy.close()
    }
  })

  it("a chunk whose every answer declares more bytes than it carries is kept once all of them arrived (verified), not fetched again until the tries run out", async () => {
    const line = lanes[0]!.triage
    await serve(line, line.versions[0]!)
    const proxy = await ChaosProxy.start({
      target: reg.server.url,
      seed: 2,
      faults: [
        {
          path: ChaosProxy.blobs,
          probability: 1,
          fault: { kind: "wrongLength", declare: "more" },
        },
      ],
    })
    const device = await reg.client(MemoryStore.make(), {
      registry: proxy.url,
      channel: line.channel,
      attempts: 2,
    })
    try {
      const installed = await run(device.client.ensure("triage", "latest"))
      expect(installed.sha256).toBe(line.versions[0]!.sha256)
      // Each chunk was asked for once: its second try found every byte there.
      const asked = proxy.stats().log.map((injection) => injection.path)
      expect(asked.length).toBeGreaterThan(0)
      expect(new Set(asked).size).toBe(asked.length)
    } finally {
      await device.close()
      await proxy.close()
    }
  })
})

/** The faults a run draws from, by the name the report counts them under. */
const FAULTS = [
  "cut",
  "HTTP 500",
  "HTTP 503",
  "stall (shorter than stallMs)",
  "stall (longer than stallMs)",
  "corrupt bytes",
  "truncated manifest",
  "Content-Length too long",
  "Content-Length too short",
] as const
type FaultName = (typeof FAULTS)[number]

/** The name an injected fault is counted under, from the proxy's log. */
const nameOf = (injection: ChaosProxy.Injection): FaultName => {
  switch (injection.kind) {
    case "cut":
      return "cut"
    case "status":
      return injection.detail.startsWith("500") ? "HTTP 500" : "HTTP 503"
    case "stall":
      return Number(injection.detail.match(/^\d+/)![0]) < STALL_MS
        ? "stall (shorter than stallMs)"
        : "stall (longer than stallMs)"
    case "corrupt":
      return "corrupt bytes"
    case "truncate":
      return "truncated manifest"
    case "wrongLength": {
      const [declared, sent] = injection.detail.match(/\d+/g)!.map(Number)
      return declared! > sent! ? "Content-Length too long" : "Content-Length too short"
    }
    case "cutRequest":
      throw new Error("these runs inject no request cuts (a client's upload fault)")
  }
}

/**
 * A run's faults: two to four kinds, each on blobs, manifests or both, at
 * its own rate. Long stalls are rarer: each costs the client `stallMs`.
 */
const faultsOf = (next: () => number): Array<ChaosProxy.Rule> => {
  const pick = <A>(items: ReadonlyArray<A>): A => items[Math.floor(next() * items.length)]!
  const where = () => pick([ChaosProxy.blobs, ChaosProxy.manifests, /^\//])
  const make: Record<FaultName, () => ChaosProxy.Rule> = {
    cut: () => ({ path: where(), fault: { kind: "cut" } }),
    "HTTP 500": () => ({
      path: where(),
      fault: { kind: "status", status: 500, ...(next() < 0.5 ? { retryAfter: 1 } : {}) },
    }),
    "HTTP 503": () => ({
      path: where(),
      fault: { kind: "status", status: 503, ...(next() < 0.5 ? { retryAfter: 1 } : {}) },
    }),
    "stall (shorter than stallMs)": () => ({
      path: where(),
      fault: {
        kind: "stall",
        ms: Math.floor(STALL_MS * (0.05 + 0.25 * next())),
        ...(next() < 0.3 ? { at: "headers" as const } : {}),
      },
    }),
    "stall (longer than stallMs)": () => ({
      path: where(),
      probability: 0.03 + 0.07 * next(),
      fault: {
        kind: "stall",
        ms: Math.floor(STALL_MS * (1.5 + next())),
        ...(next() < 0.3 ? { at: "headers" as const } : {}),
        after: next() < 0.5 ? "continue" : "cut",
      },
    }),
    "corrupt bytes": () => ({
      path: where(),
      fault: { kind: "corrupt", bytes: 1 + Math.floor(next() * 3) },
    }),
    "truncated manifest": () => ({ path: ChaosProxy.manifests, fault: { kind: "truncate" } }),
    "Content-Length too long": () => ({
      path: where(),
      fault: { kind: "wrongLength", declare: "more" },
    }),
    "Content-Length too short": () => ({
      path: where(),
      fault: { kind: "wrongLength", declare: "fewer" },
    }),
  }
  const names = [...FAULTS]
  const chosen: Array<ChaosProxy.Rule> = []
  const count = 2 + Math.floor(next() * 3)
  while (chosen.length < count) {
    const [name] = names.splice(Math.floor(next() * names.length), 1)
    const rule = make[name!]()
    chosen.push({ probability: 0.05 + 0.25 * next(), ...rule })
  }
  return chosen
}

/** A check's outcome, for the report: "ok", or the error's tag and what kind of failure. */
const outcomeOf = (
  result: Result.Result<unknown, SyncClient.CheckError | ModelUnavailableError>,
): string => {
  if (Result.isSuccess(result)) return "ok"
  const error = result.failure
  if (error._tag !== "DownloadError") return error._tag
  if (error.status !== undefined) return `DownloadError: HTTP ${error.status}`
  if (/stalled|no answer within/.test(error.message)) return "DownloadError: stall"
  if (/not JSON/.test(error.message)) return "DownloadError: not JSON"
  if (/cut/.test(error.message)) return "DownloadError: cut"
  return `DownloadError: ${error.message}`
}

/** What can go wrong in a check over this network: never a store error, an expiry or a downgrade. */
const EXPECTED = [
  "DownloadError",
  "IntegrityError",
  "ManifestSignatureError",
  "ManifestFormatError",
]

describe("SyncClient through a chaos proxy: 200 seeded runs", () => {
  it("never activates bytes that do not hash to the manifest, keeps a loadable model once one was active, and converges once the faults stop", async () => {
    const injected = Object.fromEntries(FAULTS.map((f) => [f, { runs: 0, times: 0 }])) as Record<
      FaultName,
      { runs: number; times: number }
    >
    const targets: Record<string, number> = {}
    const outcomes: Record<string, number> = {}
    const convergence: Record<string, number> = {}
    let activatedWithFaults = 0
    let fileStores = 0
    let bytesServed = 0
    const started = performance.now()

    /** Run i, start to end; the counts above gather what it saw. */
    const one = async (i: number) => {
      const seed = 1000 + i
      const next = random(seed)
      // One run in twenty follows Silero (2.3 MB, ~36 chunks), the rest the triage model (130 KB).
      const lane = lanes[i % LANES]!
      const line = i % 20 === 0 ? lane.silero : lane.triage
      const name = line.name
      const onFiles = i % 5 === 2
      const directory = join(scratch, `run-${i}`)
      const store: Store.Shape = onFiles ? await run(FileStore.make(directory)) : MemoryStore.make()
      if (onFiles) fileStores++
      const proxy = await ChaosProxy.start({
        target: reg.server.url,
        seed,
        faults: faultsOf(next),
      })
      const device = await reg.client(store, {
        registry: proxy.url,
        channel: line.channel,
        deviceId: `device-${seed}`,
        stallMs: STALL_MS,
        retryBaseMs: 5,
        attempts: 4,
      })
      // The versions this run publishes: two or three of the line's, rising, some skipped.
      const pool = line.versions.map((_, k) => k)
      const picked: Array<number> = []
      for (let count = 2 + Math.floor(next() * 2); count > 0; count--) {
        picked.push(...pool.splice(Math.floor(next() * pool.length), 1))
      }
      const steps = picked.sort((a, b) => a - b).map((k) => line.versions[k]!)
      const latest = steps.at(-1)!
      const published = new Map<string, Published>()
      const order = (version: string) => line.versions.findIndex((v) => v.version === version)
      let everActive = false
      let lastActive = -1

      /** The invariants, after any check, whatever it returned. */
      const verify = async (when: string) => {
        const state = await run(device.client.state)
        // What the client serves is what the store committed.
        expect(await run(store.state), when).toEqual(state)
        const entry = state.models[name]
        if (everActive) expect(entry, `${when}: a model was active, so one still is`).toBeDefined()
        if (entry === undefined) return
        everActive = true
        for (const installed of [entry.active, entry.previous]) {
          if (installed === undefined) continue
          const expected = published.get(installed.version)
          expect(expected, `${when}: ${installed.version} was published`).toBeDefined()
          expect(installed.sha256, `${when}: ${installed.version}`).toBe(expected!.sha256)
          expect(installed.size).toBe(expected!.size)
          const bytes = await run(store.readModel(installed.sha256))
          expect(bytes, `${when}: ${installed.version} is in the store`).toBeDefined()
          expect(sha(bytes!), `${when}: ${installed.version} is whole`).toBe(installed.sha256)
        }
        // No check here rolls back: the active version only moves forward.
        expect(order(entry.active.version), when).toBeGreaterThanOrEqual(lastActive)
        lastActive = order(entry.active.version)
      }

      try {
        for (const [step, publishing] of steps.entries()) {
          await serve(line, publishing)
          published.set(publishing.version, publishing)
          const version = publishing.version
          const checks = 1 + Math.floor(next() * 2)
          for (let c = 0; c < checks; c++) {
            const before = device.statuses.length
            // The first asks for the model (the client then keeps it current); later ones check.
            const result = await run(
              Effect.result(
                step === 0 && c === 0
                  ? Effect.asVoid(device.client.ensure(name, "latest"))
                  : Effect.asVoid(device.client.check),
              ),
            )
            const outcome = outcomeOf(result)
            outcomes[outcome] = (outcomes[outcome] ?? 0) + 1
            if (Result.isFailure(result)) {
              expect(EXPECTED, `seed ${seed}: ${result.failure.message}`).toContain(
                result.failure._tag,
              )
            }
            const statuses = device.statuses.slice(before)
            activatedWithFaults += statuses.filter((s) => s._tag === "Activated").length
            // Progress never claims more than there is to fetch, whatever was fetched twice.
            expect(
              statuses.filter((s) => s._tag === "Downloading" && s.done > s.total),
              `seed ${seed}`,
            ).toEqual([])
            await verify(`seed ${seed}, version ${version}, check ${c + 1}`)
          }
        }

        // The faults stop: the device reaches the latest version (in one check,
        // unless a busy machine makes a healthy answer slower than stallMs,
        // 150 ms here: under a loaded CI, keep checking for up to a minute).
        proxy.setFaults([])
        let checks = 0
        let active: Store.Installed | undefined
        const giveUpAt = Date.now() + 60_000
        while ((checks < 5 || Date.now() < giveUpAt) && active?.sha256 !== latest.sha256) {
          checks++
          await run(Effect.result(device.client.check))
          await verify(`seed ${seed}, faults off, check ${checks}`)
          active = (await run(device.client.state)).models[name]?.active
        }
        expect(active?.sha256, `seed ${seed}: converged to ${latest.version}`).toBe(latest.sha256)
        expect((await run(device.client.state)).channels[line.channel]?.accepted).toBe(
          latest.manifest,
        )
        convergence[`${checks} check(s)`] = (convergence[`${checks} check(s)`] ?? 0) + 1
        const served = await run(device.client.source.resolve(ModelRef.make(name, `sync:${name}`)))
        expect(sha(served.bytes)).toBe(latest.sha256)
        await load(served.bytes)
      } finally {
        await device.close()
        await proxy.close()
      }

      if (onFiles) {
        // Reopened, as after a restart: the same state, whole models, no temporary file.
        const reopened = await run(FileStore.make(directory))
        expect(await readdir(join(directory, "tmp"))).toEqual([])
        const state = await run(reopened.state)
        expect(state).toEqual(await run(store.state))
        const bytes = await run(reopened.readModel(state.models[name]!.active.sha256))
        expect(sha(bytes!)).toBe(latest.sha256)
        await rm(directory, { recursive: true, force: true })
      }

      const stats = proxy.stats()
      bytesServed += stats.bytesServed
      const seen = new Set<FaultName>()
      for (const injection of stats.log) {
        const fault = nameOf(injection)
        seen.add(fault)
        injected[fault].times++
        const target = ChaosProxy.manifests.test(injection.path) ? "manifest" : "blob"
        targets[`${injection.kind} on a ${target}`] =
          (targets[`${injection.kind} on a ${target}`] ?? 0) + 1
      }
      for (const fault of seen) injected[fault].runs++
    }

    // A failed run stops the other lanes at their next run, so the first failure is the one reported.
    let failed = false
    await Promise.all(
      Array.from({ length: LANES }, async (_, lane) => {
        for (let i = lane; i < RUNS && !failed; i += LANES) {
          await one(i).catch((e: unknown) => {
            failed = true
            throw e
          })
        }
      }),
    )

    console.log(
      JSON.stringify(
        {
          runs: RUNS,
          fileStores,
          injected,
          targets,
          checks: outcomes,
          activatedWithFaults,
          convergedAfter: convergence,
          bytesServed,
          seconds: Math.round((performance.now() - started) / 100) / 10,
        },
        null,
        1,
      ),
    )
    // Every kind of fault reached the client, in several runs: the test tests something.
    for (const fault of FAULTS) {
      expect(injected[fault].runs, fault).toBeGreaterThanOrEqual(5)
    }
    // Checks failed along the way, and versions were still activated through the faults.
    expect(Object.entries(outcomes).filter(([k]) => k !== "ok").length).toBeGreaterThan(0)
    expect(activatedWithFaults).toBeGreaterThan(RUNS / 2)
  }, 300_000)
})
