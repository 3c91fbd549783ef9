// (r) A fleet syncing at once: 500 simulated devices (each its own
// `SyncClient` and store, in this process) ask the sync dev server
// (`edgeline sync serve`, its own process) for the committed message-triage
// student at the same moment. All must succeed; the server's peak memory
// is reported.
import { spawn } from "node:child_process"
import { mkdtemp, readFile, rm } from "node:fs/promises"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { MemoryStore, Signature, SyncClient } from "@edgeline/sync"
import { Publish } from "@edgeline/sync/node"
import { Effect, Scope } from "effect"

export const TARGETS = { devices: 500 }

const STUDENT = createRequire(import.meta.url).resolve("@edgeline/model-message-triage/model.onnx")
const BIN = new URL("../packages/cli/dist/bin.js", import.meta.url).pathname
const PEAK_RSS = new URL("./lib/peak-rss.mjs", import.meta.url).pathname

/** `edgeline sync serve <registry>` in a child process that reports its peak RSS at exit. */
const serve = (registry, rssFile) => {
  const child = spawn(process.execPath, ["--import", PEAK_RSS, BIN, "sync", "serve", registry], {
    env: { ...process.env, EDGELINE_PEAK_RSS_FILE: rssFile },
    stdio: ["ignore", "pipe", "pipe"],
  })
  const url = new Promise((resolve, reject) => {
    let out = ""
    child.stdout.setEncoding("utf8").on("data", (d) => {
      out += d
      if (out.includes("\n")) resolve(out.split("\n")[0])
    })
    child.on("exit", (code) => reject(new Error(`sync serve exited with ${code}`)))
  })
  const stop = () =>
    new Promise((resolve) => {
      child.on("exit", resolve)
      child.kill("SIGTERM")
    })
  return { url, stop }
}

export const run = async ({ log }) => {
  const dir = await mkdtemp(join(tmpdir(), "edgeline-bench-fleet-"))
  const registry = join(dir, "registry")
  const rssFile = join(dir, "server-peak-rss")
  const scope = await Effect.runPromise(Scope.make())
  try {
    const keys = await Effect.runPromise(Signature.generate("fleet"))
    const published = await Effect.runPromise(
      Publish.publish({
        model: STUDENT,
        name: "triage",
        version: "1.0.0",
        channel: "stable",
        key: keys.privateKey,
        out: registry,
      }),
    )
    const server = serve(registry, rssFile)
    const url = await server.url
    const devices = await Promise.all(
      Array.from({ length: TARGETS.devices }, (_, i) =>
        Effect.runPromise(
          Scope.provide(scope)(
            SyncClient.make(
              {
                registry: url,
                channel: "stable",
                trusted: [keys.publicKey],
                deviceId: `device-${i}`,
                retryBaseMs: 50,
                stallMs: 60_000,
              },
              MemoryStore.make(),
            ),
          ),
        ),
      ),
    )
    log(`sync-fleet: ${devices.length} devices ensure the student at once`)
    const t0 = performance.now()
    const results = await Promise.all(
      devices.map((device) => Effect.runPromise(Effect.result(device.ensure("triage")))),
    )
    const seconds = (performance.now() - t0) / 1000
    const expected = new Uint8Array(await readFile(STUDENT))
    let verified = 0
    for (const device of devices) {
      const bytes = await Effect.runPromise(
        device.source.resolve({ name: "triage", uri: "sync:triage" }),
      )
      if (Buffer.from(bytes.bytes).equals(Buffer.from(expected))) verified++
    }
    await server.stop()
    const peak = Number(await readFile(rssFile, "utf8"))
    const succeeded = results.filter((r) => r._tag === "Success").length
    const ok = succeeded === TARGETS.devices && verified === TARGETS.devices
    const failures = [
      ...new Set(results.filter((r) => r._tag === "Failure").map((r) => r.failure.message)),
    ]
    return {
      id: "sync-fleet",
      title: "(r) Sync: 500 devices at once from the dev server",
      summary: `${TARGETS.devices} simulated devices (each a \`SyncClient\` with its own \`MemoryStore\`, all in the benchmark's process) call \`ensure\` at the same moment against \`edgeline sync serve\` on loopback (its own process), for the committed message-triage student (${published.model.size} bytes, ${published.model.chunks.length} chunks): the signed manifest, then every chunk, verified and activated. The server's peak resident memory is the kernel's high-water mark for its process.`,
      headline: `${succeeded} of ${TARGETS.devices} devices synced in ${seconds.toFixed(1)} s; server peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB`,
      target: `all ${TARGETS.devices} succeed`,
      status: ok ? "PASS" : "FAIL",
      rows: [
        {
          measure: "devices that synced and hold the exact model",
          value: `${succeeded} synced, ${verified} verified byte for byte`,
          target: `${TARGETS.devices}`,
          result: ok ? "PASS" : "FAIL",
        },
        { measure: "wall time, all devices", value: `${seconds.toFixed(2)} s` },
        {
          measure: "requests per device",
          value: `${1 + published.model.chunks.length} (manifest, then ${published.model.chunks.length} chunks)`,
        },
        { measure: "server peak RSS", value: `${(peak / 2 ** 20).toFixed(1)} MiB` },
        ...(failures.length === 0 ? [] : [{ measure: "failures", value: failures.join("; ") }]),
      ],
      notes: [
        "The dev server is for development and tests; production registries sit on a static host, CDN or bucket, which serve the same files.",
      ],
      raw: { succeeded, verified, seconds, peakRssBytes: peak, devices: TARGETS.devices },
    }
  } finally {
    await Effect.runPromise(Scope.close(scope, Effect.void))
    await rm(dir, { recursive: true, force: true })
  }
}
