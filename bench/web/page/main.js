// The bench page: what Playwright calls, as `window.bench`. Every timed run
// is clocked here or inside a worker (performance.now), never across
// Playwright's connection, and its input is copied before the clock starts.
import { connectWorker } from "@edgeline/runtime-web"
import { summary } from "../../lib/gated.mjs"
import { ask } from "./channel.js"

// Literal options, one call per mode: Vite reads them to serve module workers.
const servedGate = () =>
  new Worker(new URL("./gate.worker.js", import.meta.url), { type: "module", name: "serve" })
const insideGate = () =>
  new Worker(new URL("./gate.worker.js", import.meta.url), { type: "module", name: "inside" })
const sileroWorker = () =>
  new Worker(new URL("./silero.worker.js", import.meta.url), { type: "module" })
const stretchWorker = (threads) =>
  new Worker(new URL("./stretch-gate.worker.js", import.meta.url), {
    type: "module",
    name: `threads-${threads}`,
  })

// Workers end with the browser, which the benchmark closes.
const gate = {}
const silero = new Map()
const stretch = new Map()
let plain

window.bench = {
  page: () => ({
    crossOriginIsolated: self.crossOriginIsolated,
    hardwareConcurrency: navigator.hardwareConcurrency,
    userAgent: navigator.userAgent,
  }),

  /** Starts both gate workers and runs each once (model loads, untimed). */
  gateOpen: async (wav) => {
    gate.wav = wav
    gate.served = servedGate()
    gate.runner = connectWorker(gate.served)
    gate.inside = insideGate()
    const probe = wav.slice()
    await gate.runner.run(probe)
    await ask(gate.inside, "run", { bytes: wav.slice() })
    return {
      transferred: probe.byteLength === 0,
      environment: {
        roundTrip: await ask(gate.served, "environment"),
        inside: await ask(gate.inside, "environment"),
      },
    }
  },
  /** connectWorker(...).run(bytes), clocked on the page: transfer in, gate, result back. */
  roundTrip: async () => {
    const bytes = gate.wav.slice()
    const t0 = performance.now()
    const gated = await gate.runner.run(bytes)
    return { ms: performance.now() - t0, out: summary(gated) }
  },
  /** createRunner(...).run(bytes), clocked inside its worker. */
  inside: () => {
    const bytes = gate.wav.slice()
    return ask(gate.inside, "run", { bytes }, [bytes.buffer])
  },

  /** A raw ORT loop in a worker of its own with `threads` ("isolated" or a count). */
  sileroOpen: (key, threads, samples) => {
    const worker = sileroWorker()
    silero.set(key, worker)
    return ask(worker, "open", { threads, audio: samples })
  },
  silero: async (key) => {
    const { ms, probabilities } = await ask(silero.get(key), "run")
    return { ms, probabilities: Array.from(probabilities) }
  },

  /** Both gates (sequential, batched) in a worker of their own with `threads` ORT threads. */
  stretchOpen: (key, threads, wav, samples) => {
    const worker = stretchWorker(threads)
    stretch.set(key, worker)
    return ask(worker, "open", { bytes: wav, samples })
  },
  /** One run of `mode` ("sequential" or "batched"), clocked inside the worker. */
  stretchRun: (key, mode) => ask(stretch.get(key), "run", { mode }),
  /** A raw loop of `steps` calls of `batch` rows on the recording, clocked inside the worker. */
  stretchBatch: (key, batch, steps) => ask(stretch.get(key), "batch", { batch, steps }),
  /** The same raw loop on ORT's plain wasm build (no JSEP), one thread, in a worker of its own. */
  plainOpen: (samples) => {
    plain = new Worker(new URL("./plain-batch.worker.js", import.meta.url), { type: "module" })
    return ask(plain, "open", { audio: samples })
  },
  plainBatch: (batch, steps) => ask(plain, "batch", { batch, steps }),
}
