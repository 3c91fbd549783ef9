// (q) What an update costs a device, in bytes on the wire: a new version of
// the reference cloud tier's 2.1 MB message-triage teacher whose last layer
// (output weights and bias) was retrained, against the model's full size;
// and a first download cut at half way, then resumed.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { MemoryStore, Signature, SyncClient } from "@edgeline/sync"
import { DevServer, Publish } from "@edgeline/sync/node"
import { Effect, Scope } from "effect"
import onnxProto from "onnx-proto"
import { num } from "./lib/markdown.mjs"

export const TARGETS = { updateShare: 0.1, resumeOverhead: 1.05 }

const TEACHER = new URL(
  "../packages/cloud-server/models/message-triage-teacher/model.onnx",
  import.meta.url,
).pathname

/** The teacher with its output layer moved, as retraining only that layer would. */
const retrainLastLayer = (bytes) => {
  const { onnx } = onnxProto
  const model = onnx.ModelProto.decode(bytes)
  for (const init of model.graph.initializer) {
    if (init.name !== "output_weights" && init.name !== "output_bias") continue
    const raw = new Uint8Array(init.rawData)
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength)
    for (let at = 0; at < raw.byteLength; at += 4) {
      view.setFloat32(at, view.getFloat32(at, true) * 1.02 + 0.001, true)
    }
    init.rawData = raw
  }
  return onnx.ModelProto.encode(model).finish()
}

/**
 * A device's link: a fetch that counts the body bytes it delivers and,
 * with a `limit`, stops delivering once that many went through (the
 * body errors, and every later request fails).
 */
const link = (limit = Number.POSITIVE_INFINITY) => {
  let delivered = 0
  const fetchOver = async (input, init) => {
    if (delivered >= limit) throw new TypeError("fetch failed: the link is down")
    const response = await fetch(input, init)
    if (response.body === null) return response
    const reader = response.body.getReader()
    const body = new ReadableStream({
      pull: async (controller) => {
        if (delivered >= limit) {
          controller.error(new TypeError("terminated: the link was cut"))
          await reader.cancel()
          return
        }
        const { done, value } = await reader.read()
        if (done) return controller.close()
        const room = limit - delivered
        delivered += Math.min(room, value.length)
        controller.enqueue(value.length > room ? value.subarray(0, room) : value)
      },
    })
    return new Response(body, { status: response.status, headers: response.headers })
  }
  return { fetch: fetchOver, delivered: () => delivered }
}

export const run = async ({ log }) => {
  const dir = await mkdtemp(join(tmpdir(), "edgeline-bench-sync-"))
  const registry = join(dir, "registry")
  const server = await DevServer.start({ directory: registry })
  const scope = await Effect.runPromise(Scope.make())
  try {
    const keys = await Effect.runPromise(Signature.generate("bench"))
    const publish = (model, version) =>
      Effect.runPromise(
        Publish.publish({
          model,
          name: "teacher",
          version,
          channel: "stable",
          key: keys.privateKey,
          out: registry,
        }),
      )
    const original = new Uint8Array(await readFile(TEACHER))
    const v1 = await publish(TEACHER, "1.0.0")
    const device = (store, fetch) =>
      Effect.runPromise(
        Scope.provide(scope)(
          SyncClient.make(
            {
              registry: server.url,
              channel: "stable",
              trusted: [keys.publicKey],
              deviceId: "bench-device",
              retryBaseMs: 10,
              attempts: 3,
              ...(fetch === undefined ? {} : { fetch }),
            },
            store,
          ),
        ),
      )
    const sent = () => server.stats().bytesSent

    log("sync-update: a first download cut at 50%, then resumed")
    const size = original.length
    const resumedStore = MemoryStore.make()
    const before = sent()
    const halfLink = link(Math.floor(size / 2))
    const cut = await Effect.runPromise(
      Effect.result((await device(resumedStore, halfLink.fetch)).ensure("teacher")),
    )
    const afterCut = sent() - before
    const restored = link()
    await Effect.runPromise((await device(resumedStore, restored.fetch)).ensure("teacher"))
    const resumedTotal = sent() - before
    const received = halfLink.delivered() + restored.delivered()

    log("sync-update: the last layer retrained")
    const store = MemoryStore.make()
    const client = await device(store)
    await Effect.runPromise(client.ensure("teacher"))
    const v2path = join(dir, "teacher-1.1.0.onnx")
    const v2bytes = retrainLastLayer(original)
    await writeFile(v2path, v2bytes)
    const v2 = await publish(v2path, "1.1.0")
    const beforeUpdate = sent()
    const checked = await Effect.runPromise(client.check)
    const updateBytes = sent() - beforeUpdate
    if (checked.activated.length !== 1) throw new Error("the update was not activated")

    const updateShare = updateBytes / v2bytes.length
    const resumeOverhead = received / size
    const checks = {
      update: updateShare <= TARGETS.updateShare,
      resume: resumeOverhead <= TARGETS.resumeOverhead && cut._tag === "Failure",
    }
    const pass = (ok) => (ok ? "PASS" : "FAIL")
    return {
      id: "sync-update",
      title: "(q) Sync: bytes for a last-layer update; a download cut at half way",
      summary: `The reference cloud tier's message-triage teacher (${size} bytes, ${v1.model.chunks.length} content-defined chunks) published with \`@edgeline/sync/node\`, served by the sync dev server on loopback, fetched by \`SyncClient\` into a \`MemoryStore\`. The update rescales the output layer's weights and bias (what retraining only the last layer changes) and is published as 1.1.0; bytes are what the server sent. The cut: the device's link delivers half the model's bytes, then fails; the next \`ensure\` on the same store resumes.`,
      headline: `an update fetches ${(updateShare * 100).toFixed(1)}% of the model; after a cut at 50%, ${num(resumeOverhead, 3)}× its size in all`,
      target: `≤ ${TARGETS.updateShare * 100}% for the update; ≤ ${TARGETS.resumeOverhead}× after a cut`,
      status: checks.update && checks.resume ? "PASS" : "FAIL",
      rows: [
        { measure: "model size", value: `${size} bytes in ${v1.model.chunks.length} chunks` },
        {
          measure: "last-layer update: bytes fetched / model size",
          value: `${updateBytes} / ${v2bytes.length} (${(updateShare * 100).toFixed(2)}%; ${v2.written} of ${v2.model.chunks.length} chunks new)`,
          target: `≤ ${TARGETS.updateShare * 100}%`,
          result: pass(checks.update),
        },
        {
          measure: "cut at 50%: bytes the device received in all (before the cut, then resuming)",
          value: `${received} (${halfLink.delivered()} + ${restored.delivered()}): ${num(resumeOverhead, 3)}× the size`,
          target: `≤ ${TARGETS.resumeOverhead}×`,
          result: pass(checks.resume),
        },
        {
          measure: "cut at 50%: bytes the server sent in all",
          value: `${resumedTotal} (${num(resumedTotal / size, 3)}× the size; ${afterCut} before the cut)`,
        },
      ],
      notes: [
        "Chunks are content-defined (FastCDC, ~64 KiB average), so bytes that did not change keep their chunks and their hashes; the device fetches the chunks around the change only.",
        "A cut chunk is kept as a partial and resumed with a Range request: nothing the device received is fetched again. The target counts what the device's link delivered (what a metered link bills); the server also sent what was in flight when the link died, which on loopback is the rest of the chunk being sent (its socket buffers hold it), so its count is higher.",
      ],
      raw: {
        size,
        updateBytes,
        updateShare,
        afterCut,
        resumedTotal,
        received,
        resumeOverhead,
        targets: TARGETS,
      },
    }
  } finally {
    await Effect.runPromise(Scope.close(scope, Effect.void))
    await server.close()
    await rm(dir, { recursive: true, force: true })
  }
}
