// (e) The whole-file voice gate in a Chromium Web Worker: the page's
// connectWorker(...).run(bytes) round trip (input transferred in, result
// transferred back) vs createRunner(...).run(bytes) clocked inside a worker,
// on the 60 s recording as 16 kHz PCM16 WAV bytes. Both workers are the same
// file with the same runtime options (wasm EP, default threads); both clocks
// run in the browser, Node only orders the runs.
import { sameResult } from "../lib/gated.mjs"
import { ms, num, spread } from "../lib/markdown.mjs"
import { forJson, interleaveTimed, ratios } from "../lib/stats.mjs"
import { browserUnavailable, offsite, requestsRow, withBenchPage } from "./bench-page.mjs"

export const TARGET = 1.05

const ID = "web-worker"
const TITLE = "(e) Browser: worker round trip vs inside the worker"

const sameSettings = (a, b) =>
  a.threads === b.threads && a.crossOriginIsolated === b.crossOriginIsolated

export const run = async ({ recording, warmup = 4, reps = 16, log }) => {
  const unavailable = browserUnavailable({ id: ID, title: TITLE, target: `≤ ${TARGET}` })
  if (unavailable) return unavailable
  const { wav } = recording
  return withBenchPage(async ({ call, requests }, browser) => {
    log(`web-worker: Chromium ${browser.chromium}; loading both gate workers`)
    const { transferred, environment } = await call("gateOpen", wav)
    log(`web-worker: ${warmup} warm-up + ${reps} interleaved pairs`)
    const r = await interleaveTimed(
      { roundTrip: () => call("roundTrip"), inside: () => call("inside") },
      { warmup, reps },
    )
    const q = ratios(r.roundTrip, r.inside)
    const same = sameResult(r.roundTrip.out, r.inside.out)
    const settings = sameSettings(environment.roundTrip, environment.inside)
    const pass = q.ratio <= TARGET
    const network = offsite(requests())
    const rtf = r.inside.median / 1000 / recording.durationSec
    const env = (e) => `${e.threads} thread${e.threads === 1 ? "" : "s"}`
    return {
      id: ID,
      title: TITLE,
      summary: `Chromium ${browser.chromium} (headless, ${browser.hardwareConcurrency} logical cores, cross-origin isolated: ${browser.crossOriginIsolated ? "yes" : "no"}). \`VoiceGate.file\` on the ${recording.durationSec} s recording as 16 kHz PCM16 WAV (${wav.byteLength} bytes, written by \`VoiceGate.toWav\`): round trip = \`connectWorker(worker).run(bytes)\` clocked on the page, input transferred (a fresh copy per run, made before the clock starts); inside = \`createRunner(VoiceGate.file, { layer: WebRuntime.layer(…) }).run(bytes)\` clocked inside a second worker of the same file. onnxruntime-web, wasm EP both sides. ${warmup} warm-up pairs, then ${reps} interleaved ABBA pairs; ratio = median of per-pair ratios.`,
      headline: `round-trip/inside = ${num(q.ratio)}`,
      target: `≤ ${TARGET}`,
      status: pass && same && settings && transferred && network.ok ? "PASS" : "FAIL",
      rows: [
        { measure: "round trip from the page (median wall)", value: spread(r.roundTrip) },
        { measure: "inside the worker (median wall)", value: spread(r.inside) },
        {
          measure: "round trip − inside (medians)",
          value: ms(r.roundTrip.median - r.inside.median),
        },
        {
          measure: "ratio round-trip/inside (median of pairs)",
          value: num(q.ratio),
          target: `≤ ${TARGET}`,
          result: pass ? "PASS" : "FAIL",
        },
        { measure: "ratio of medians", value: num(q.ratioOfMedians) },
        {
          measure: "RTF inside the worker (median / audio length)",
          value: `${num(rtf, 4)} (${(1 / rtf).toFixed(0)}× real time)`,
        },
        {
          measure: "ORT threads read back (WebBackend.environment()): round-trip / inside worker",
          value: `${env(environment.roundTrip)} / ${env(environment.inside)}, wasm EP`,
          target: "same",
          result: settings ? "PASS" : "FAIL",
        },
        {
          measure: "input transferred (page's buffer detached)",
          value: transferred ? "yes" : "no",
          target: "yes",
          result: transferred ? "PASS" : "FAIL",
        },
        {
          measure: "same segments, frames and bytes out both sides",
          value: same
            ? `yes (${r.inside.out.segments.length} segments, ${r.inside.out.bytesOut} bytes out)`
            : "no",
          target: "yes",
          result: same ? "PASS" : "FAIL",
        },
        requestsRow(network),
      ],
      notes: [
        "Node only orders the runs and collects results over Playwright; each run is clocked with `performance.now()` in the browser (page or worker), so the DevTools-protocol hop is never inside a timing.",
        `WebGPU is not used: both workers ask for the wasm EP only, although \`navigator.gpu\` is present (\`environment().webgpu\` = ${environment.inside.webgpu}). Threads are the backend's default, the cores at most 4 when cross-origin isolated.`,
        "Wall time only: the browser's CPU time is not measured.",
      ],
      raw: {
        browser,
        environment,
        wavBytes: wav.byteLength,
        roundTrip: forJson(r.roundTrip),
        inside: forJson(r.inside),
        ...q,
        rtfInside: rtf,
        inputTransferred: transferred,
        network,
        sameResult: same,
        segments: r.inside.out.segments.length,
        target: TARGET,
        pass,
      },
    }
  })
}
