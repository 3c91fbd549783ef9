// Worker entry for the live-streams benchmark's two-worker case: a
// VoiceGate.gateway of its own serving the streams the main thread routes to
// it. Each round brings one chunk per stream, packed in one Float32Array (as
// a server's socket buffers would arrive); the reply comes when all of that
// round's pushes have resolved.
import { parentPort } from "node:worker_threads"
import { VoiceGate } from "@edgeline/recipes"
import { NodeRuntime } from "@edgeline/runtime-node"

const CHUNK = 512
const gateway = await VoiceGate.gateway({ layer: NodeRuntime.layer() })
let sessions = []
let outputs = []

parentPort.on("message", async (message) => {
  switch (message.type) {
    case "open":
      sessions = await Promise.all(Array.from({ length: message.streams }, () => gateway.open()))
      outputs = sessions.map(() => [])
      return parentPort.postMessage({ type: "opened" })
    case "round": {
      const packed = message.samples
      await Promise.all(
        sessions.map((session, i) =>
          session
            .push({ samples: packed.subarray(i * CHUNK, (i + 1) * CHUNK), sampleRate: 16_000 })
            .then((out) => outputs[i].push(out)),
        ),
      )
      return parentPort.postMessage({ type: "round" })
    }
    case "end": {
      for (const [i, session] of sessions.entries()) outputs[i].push(...(await session.end()))
      const probabilities = outputs.map((outs) => VoiceGate.merge(outs).probabilities)
      return parentPort.postMessage({ type: "ended", probabilities })
    }
    case "close":
      await gateway.close()
      return parentPort.postMessage({ type: "closed" })
  }
})
parentPort.postMessage({ type: "ready" })
