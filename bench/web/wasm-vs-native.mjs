// (f) Silero v5 per 512-sample frame: a raw onnxruntime-web loop in a
// Chromium worker (wasm EP; the threads cross-origin isolation allows, and
// 1 thread) vs bench/lib/raw-silero.mjs on onnxruntime-node, over the 60 s
// recording with the same [1, 576] window and state carry. Speed is
// informational; the probabilities must agree.
import { num, spread } from "../lib/markdown.mjs"
import { createRawSilero, SESSION_OPTIONS } from "../lib/raw-silero.mjs"
import { forJson, interleaveTimed, maxAbsDiff, ratios } from "../lib/stats.mjs"
import { browserUnavailable, offsite, requestsRow, withBenchPage } from "./bench-page.mjs"

export const AGREEMENT = 1e-3

const ID = "web-wasm"
const TITLE = "(f) Browser: wasm vs Node native, per frame"
const TARGET = `max |p(web) − p(node)| < ${AGREEMENT}; speed INFO`

export const run = async ({ recording, warmup = 3, reps = 8, log }) => {
  const unavailable = browserUnavailable({ id: ID, title: TITLE, target: TARGET })
  if (unavailable) return unavailable
  const { samples } = recording
  const native = await createRawSilero()
  try {
    return await withBenchPage(async ({ call, requests }, browser) => {
      log(`web-wasm: Chromium ${browser.chromium}; loading the model in two workers`)
      const threaded = await call("sileroOpen", "isolated", "isolated", samples)
      const single = await call("sileroOpen", "single", 1, samples)
      const web = (key) => async () => {
        const { ms, probabilities } = await call("silero", key)
        return { ms, out: probabilities }
      }
      log(`web-wasm: ${warmup} warm-up + ${reps} interleaved rounds of 3`)
      const r = await interleaveTimed(
        {
          threaded: web("isolated"),
          single: web("single"),
          node: async () => {
            const t0 = performance.now()
            const out = await native.run(samples)
            return { ms: performance.now() - t0, out }
          },
        },
        { warmup, reps },
      )
      const frames = r.node.out.length
      const perFrame = (s) => (s.median / frames) * 1000
      const qThreaded = ratios(r.threaded, r.node)
      const qSingle = ratios(r.single, r.node)
      const diffThreaded = maxAbsDiff(r.threaded.out, r.node.out)
      const diffSingle = maxAbsDiff(r.single.out, r.node.out)
      const agree = diffThreaded < AGREEMENT && diffSingle < AGREEMENT
      const network = offsite(requests())
      const t = (n) => `${n} thread${n === 1 ? "" : "s"}`
      const timeRow = (label, s) => ({
        measure: `${label} (median wall per run; per frame)`,
        value: `${spread(s)}; ${perFrame(s).toFixed(1)} µs/frame`,
      })
      const ratioRow = (label, q) => ({
        measure: `ratio ${label}/node per frame (median of rounds)`,
        value: `${num(q.ratio, 2)}× (ratio of medians ${num(q.ratioOfMedians, 2)}×)`,
        target: "none",
        result: "INFO",
      })
      const diffRow = (label, d) => ({
        measure: `max abs diff of probabilities, ${label} vs node`,
        value: d.toExponential(2),
        target: `< ${AGREEMENT}`,
        result: d < AGREEMENT ? "PASS" : "FAIL",
      })
      return {
        id: ID,
        title: TITLE,
        summary: `Silero v5 over the ${recording.durationSec} s recording, frame by frame ([1, 576] input: 64 samples of context + 512 new, state carried): a raw onnxruntime-web loop in a Chromium ${browser.chromium} worker (wasm EP, session options as runtime-web's WebBackend; ${browser.hardwareConcurrency} logical cores, cross-origin isolated: ${browser.crossOriginIsolated ? "yes" : "no"}) with ${t(threaded.threads)} (what isolation allows, WebBackend's rule) and with ${t(single.threads)}, vs \`bench/lib/raw-silero.mjs\` on onnxruntime-node (${t(SESSION_OPTIONS.intraOpNumThreads)}). Each web thread count has a worker of its own (ORT fixes it per wasm instance). Models loaded beforehand; ${warmup} warm-up rounds, then ${reps} rounds alternating forwards and backwards; ratios = median of per-round ratios.`,
        headline: `web/node per frame = ${num(qThreaded.ratio, 2)}× (${t(threaded.threads)}), ${num(qSingle.ratio, 2)}× (${t(single.threads)}); max |Δp| ${Math.max(diffThreaded, diffSingle).toExponential(1)}`,
        target: TARGET,
        status: agree && network.ok ? "PASS" : "FAIL",
        rows: [
          timeRow(`Chromium wasm, ${t(threaded.threads)}`, r.threaded),
          timeRow(`Chromium wasm, ${t(single.threads)}`, r.single),
          timeRow(`Node onnxruntime-node, ${t(SESSION_OPTIONS.intraOpNumThreads)}`, r.node),
          ratioRow(`web (${t(threaded.threads)})`, qThreaded),
          ratioRow(`web (${t(single.threads)})`, qSingle),
          diffRow(`web (${t(threaded.threads)})`, diffThreaded),
          diffRow(`web (${t(single.threads)})`, diffSingle),
          { measure: "frames", value: String(frames) },
          {
            measure: "ORT wasm threads read back (ort.env.wasm.numThreads)",
            value: `${threaded.threads} and ${single.threads}`,
          },
          requestsRow(network),
        ],
        notes: [
          "The web times are clocked with `performance.now()` inside the worker; the Node time in Node. Node orders the runs, so both platforms take turns on the same machine.",
          "WebGPU is not used: this compares wasm with native code.",
          "onnxruntime-web has no per-session thread count (no `intraOpNumThreads`): `ort.env.wasm.numThreads` is the whole wasm instance's, so the threaded case also shows what the voice gate gets from WebBackend's default. Its threads meet on every operator of this small model: with few cores, its time depends strongly on other load on the machine (load average in the header).",
          "Wall time only: the browser's CPU time is not measured.",
        ],
        raw: {
          browser,
          threads: { isolated: threaded.threads, single: single.threads },
          webThreaded: forJson(r.threaded),
          webSingle: forJson(r.single),
          node: forJson(r.node),
          ratioThreaded: qThreaded,
          ratioSingle: qSingle,
          microsecondsPerFrame: {
            webThreaded: perFrame(r.threaded),
            webSingle: perFrame(r.single),
            node: perFrame(r.node),
          },
          maxAbsProbabilityDiff: { threaded: diffThreaded, single: diffSingle },
          frames,
          network,
          nodeSessionOptions: SESSION_OPTIONS,
          agreement: AGREEMENT,
        },
      }
    })
  } finally {
    await native.release()
  }
}
