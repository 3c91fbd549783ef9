/**
 * A server that says when to come back (`Retry-After` on a 503 or 429) is
 * obeyed: a chunk download waits at least that long before it tries again,
 * a longer wait fails the check at once and the background poll waits it
 * out, and the telemetry outbox waits before it uploads again. Real
 * servers on loopback; the chaos proxy answers the 503s.
 */
import { mkdtemp, rm } from "node:fs/promises"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Scope } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { MemoryStore, Outbox } from "../src/index.js"
import { DevServer } from "../src/node/index.js"
import * as ChaosProxy from "./support/ChaosProxy.js"
import * as TestRegistry from "./support/TestRegistry.js"

const STUDENT = createRequire(import.meta.url).resolve("@edgeline/model-message-triage/model.onnx")

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** `fetch` that notes when each request to a path matching `which` was made. */
const timedFetch = (which: RegExp) => {
  const times: Array<number> = []
  const fetch: typeof globalThis.fetch = (input, init) => {
    if (which.test(String(input))) times.push(performance.now())
    return globalThis.fetch(input, init)
  }
  return { fetch, times }
}

/** A registry with the triage student, behind a proxy that answers blob requests (`on`, default the first) 503 Retry-After `seconds`. */
const busyRegistry = async (
  seconds: number,
  on: { on: Array<number> } | { probability: 1 } = { on: [0] },
) => {
  const reg = await TestRegistry.start("edgeline-sync-retry-after-")
  cleanups.push(reg.close)
  await reg.publish(STUDENT, "triage", "1.0.0")
  const proxy = await ChaosProxy.start({
    target: reg.server.url,
    seed: 1,
    faults: [
      {
        path: ChaosProxy.blobs,
        ...on,
        fault: { kind: "status", status: 503, retryAfter: seconds },
      },
    ],
  })
  cleanups.push(() => proxy.close())
  return { reg, proxy }
}

describe("Retry-After", () => {
  it("a chunk answered 503 with Retry-After: 1 is asked again no sooner than a second later", async () => {
    const { reg, proxy } = await busyRegistry(1)
    const timed = timedFetch(/\/blobs\//)
    const device = await reg.client(MemoryStore.make(), {
      registry: proxy.url,
      fetch: timed.fetch,
      retryBaseMs: 10,
    })
    cleanups.push(device.close)
    expect((await Effect.runPromise(device.client.ensure("triage"))).version).toBe("1.0.0")
    expect(proxy.stats().injected.status).toBe(1)
    // The backoff alone (10 ms) would have asked again at once.
    expect(timed.times[1]! - timed.times[0]!).toBeGreaterThanOrEqual(1000)
  })

  it("a Retry-After longer than a download sits out fails the check at once; the poll waits it, up to maxBackoffMs", async () => {
    const { reg, proxy } = await busyRegistry(120, { probability: 1 })
    const device = await reg.client(MemoryStore.make(), { registry: proxy.url, retryBaseMs: 10 })
    cleanups.push(device.close)
    const error = await Effect.runPromise(Effect.flip(device.client.ensure("triage")))
    expect(error).toMatchObject({ _tag: "DownloadError", status: 503, retryAfterMs: 120_000 })
    // The check ensure made reports its failure too, with no retry time: it is not the poll.
    const reported = device.statuses.filter((s) => s._tag === "CheckFailed")
    expect(reported).toHaveLength(1)
    expect(reported[0]).not.toHaveProperty("retryInMs")
    device.statuses.length = 0

    const poll = async (maxBackoffMs: number) => {
      const scope = await Effect.runPromise(Scope.make())
      cleanups.push(() => Effect.runPromise(Scope.close(scope, Effect.void as never)))
      await Effect.runPromise(
        Scope.provide(scope)(device.client.poll({ intervalMs: 10, maxBackoffMs })),
      )
      await expect
        .poll(() => device.statuses.filter((s) => s._tag === "CheckFailed").length)
        .toBeGreaterThan(0)
      const requests = proxy.stats().requests
      // Its backoff alone (10 ms at first) would check again many times; it stays away as asked.
      await new Promise((resolve) => setTimeout(resolve, 1000))
      expect(proxy.stats().requests).toBe(requests)
      const failed = device.statuses.filter((s) => s._tag === "CheckFailed")
      expect(failed).toHaveLength(1)
      device.statuses.length = 0
      await Effect.runPromise(Scope.close(scope, Effect.void as never))
      return failed[0]!.retryInMs!
    }
    // Asked for 2 minutes: waits 2 to 2.4 minutes (spread so a fleet does not return at once).
    const asked = await poll(600_000)
    expect(asked).toBeGreaterThanOrEqual(120_000)
    expect(asked).toBeLessThanOrEqual(144_000)
    // Never longer than the poll's own longest backoff.
    expect(await poll(60_000)).toBe(60_000)
    // Each check asked for the blob once: no retries in place against a long Retry-After.
    expect(proxy.stats().injected.status).toBe(3)
  })

  it("the outbox waits out a Retry-After before it uploads again", async () => {
    const dir = await mkdtemp(join(tmpdir(), "edgeline-sync-retry-after-"))
    cleanups.push(() => rm(dir, { recursive: true, force: true }))
    const server = await DevServer.start({
      directory: join(dir, "registry"),
      telemetry: { file: join(dir, "telemetry.jsonl"), tokens: ["t"] },
    })
    cleanups.push(() => server.close())
    const proxy = await ChaosProxy.start({
      target: server.url,
      seed: 1,
      faults: [{ on: [0], fault: { kind: "status", status: 503, retryAfter: 2 } }],
    })
    cleanups.push(() => proxy.close())
    const timed = timedFetch(/\/v1\/telemetry/)
    const scope = await Effect.runPromise(Scope.make())
    cleanups.push(() => Effect.runPromise(Scope.close(scope, Effect.void as never)))
    const outbox = await Effect.runPromise(
      Outbox.make({
        endpoint: new URL("/v1/telemetry", proxy.url).href,
        token: "t",
        deviceId: "device-1",
        storage: Outbox.memoryStorage(),
        fetch: timed.fetch,
      }),
    )
    await Effect.runPromise(
      outbox.telemetry.record({ kind: "counter", name: "escalated", value: 1 }),
    )
    await Effect.runPromise(
      Scope.provide(scope)(outbox.run({ intervalMs: 10, retryBaseMs: 10, maxBackoffMs: 10_000 })),
    )
    await expect
      .poll(async () => (await Effect.runPromise(outbox.stats)).uploaded, { timeout: 10_000 })
      .toBe(1)
    expect(timed.times[1]! - timed.times[0]!).toBeGreaterThanOrEqual(2000)
  })
})
