// (t) The CLI as a whole process against sherpa-onnx's whole process:
// `edgeline voice-gate rec.wav --json` on the 60 s recording against
// `bench/lib/sherpa-gate-process.mjs rec.wav` (sherpa-onnx-node reads the WAV,
// creates its VAD, runs Silero v5 in C++ with one thread, prints the
// segments as JSON), each from spawn to exit. What a user waits for, beside
// the native peer. A breakdown shows where the CLI's time goes: Node's own
// start, the model's load, the scoring and the rest (module loading, reading
// and decoding the file, the pipeline's hops, teardown).
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { EDGELINE, timeNode } from "./lib/command.mjs"
import { ms, num } from "./lib/markdown.mjs"
import { mib, timeProcessPairs } from "./lib/process-pairs.mjs"
import { median } from "./lib/stats.mjs"
import { versionOrMissing } from "./lib/versions.mjs"

export const TARGET = 1.0

const sherpa = fileURLToPath(new URL("./lib/sherpa-gate-process.mjs", import.meta.url))

/** The CLI's own account of a run, from its `--json` report. */
const account = (stdout) => {
  const report = JSON.parse(stdout)
  const stage = (name) => report.timings.find((t) => t.stage === name)?.totalMs ?? Number.NaN
  return {
    segments: report.segments.length,
    modelLoadMs: report.modelLoadMs,
    scoringMs: stage("silero-vad"),
    stagesMs: report.timings.reduce((sum, t) => sum + t.totalMs, 0),
  }
}

export const run = async ({ recording, warmup = 2, reps = 12, log }) => {
  const dir = await mkdtemp(join(tmpdir(), "edgeline-bench-cli-sherpa-"))
  try {
    const wav = join(dir, "recording.wav")
    await writeFile(wav, recording.wav)
    const timed = await timeProcessPairs({
      label: "cli-vs-sherpa",
      cases: {
        cli: () => timeNode([EDGELINE, "voice-gate", wav, "--json"]),
        sherpa: () => timeNode([sherpa, wav]),
      },
      // Node's own start and exit, with nothing to load: the floor under both. And
      // the CLI on a first run, before its optimized-model cache holds Silero.
      beside: {
        node: () => timeNode(["-e", ""]),
        uncached: () =>
          timeNode([EDGELINE, "voice-gate", wav, "--json"], { env: { EDGELINE_CACHE: "off" } }),
      },
      warmup,
      reps,
      log,
    })
    const empty = timed.beside.node.map((r) => r.ms)
    const uncached = timed.beside.uncached

    const cli = timed.cli.wall
    const peer = timed.sherpa.wall
    const ratio = timed.ratio
    const accounts = timed.cli.stdouts.map(account)
    const sherpaSegments = JSON.parse(timed.sherpa.stdouts.at(-1)).segments.length
    const nodeMs = median(empty)
    const loadMs = median(accounts.map((a) => a.modelLoadMs))
    const scoringMs = median(accounts.map((a) => a.scoringMs))
    const otherStagesMs = median(accounts.map((a) => a.stagesMs - a.scoringMs))
    const firstByte = median(timed.cli.firstByteMs)
    // The rest of the time to first byte: modules, the file's read, hops, teardown.
    const restMs = median(
      timed.cli.firstByteMs.map((t, i) => t - accounts[i].modelLoadMs - accounts[i].stagesMs),
    )
    const status = ratio <= TARGET ? "PASS" : "FAIL"
    const sherpaVersion = await versionOrMissing("sherpa-onnx-node")
    return {
      id: "cli-vs-sherpa",
      title: "(t) CLI as a whole process vs sherpa-onnx's whole process",
      summary: `\`edgeline voice-gate recording.wav --json\` (the committed bin, as npm links it) on the ${recording.durationSec} s recording (16 kHz PCM16 WAV) vs \`bench/lib/sherpa-gate-process.mjs recording.wav\` (sherpa-onnx-node ${sherpaVersion}: read the WAV, create its VAD on the same Silero v5 file, C++ loop with one thread, segments as JSON), each spawn to exit. ${warmup} warm-up pairs, then ${reps} pairs alternating the order; ratio = median of per-pair ratios. The breakdown takes the CLI's own report (model load, per-stage totals) from each run; "rest" is its time to first byte of output less those.`,
      headline: `cli/sherpa = ${num(ratio, 2)}× (${(cli.median / 1000).toFixed(2)} s vs ${(peer.median / 1000).toFixed(2)} s)`,
      target: `≤ ${TARGET}×`,
      status,
      rows: [
        {
          measure: "edgeline voice-gate (median wall, spawn to exit)",
          value: `${ms(cli.median)} (±${cli.mad.toFixed(1)} MAD, n=${cli.n})`,
        },
        {
          measure: "sherpa-onnx-node process (median wall, spawn to exit)",
          value: `${ms(peer.median)} (±${peer.mad.toFixed(1)} MAD, n=${peer.n})`,
        },
        {
          measure: "ratio cli/sherpa (median of pairs)",
          value: num(ratio, 3),
          target: `≤ ${TARGET}`,
          result: status,
        },
        { measure: "cli − sherpa (medians)", value: ms(cli.median - peer.median) },
        {
          measure:
            "cli breakdown (medians): Node start-up alone · model load · scoring · other stages · rest",
          value: `${ms(nodeMs)} · ${ms(loadMs)} · ${ms(scoringMs)} · ${ms(otherStagesMs)} · ${ms(restMs - nodeMs)}`,
        },
        {
          measure: "cli with its session cache off, as on a first run: wall · model load (medians)",
          value: `${ms(median(uncached.map((r) => r.ms)))} · ${ms(median(uncached.map((r) => account(r.stdout).modelLoadMs)))}`,
        },
        {
          measure: "time to first byte of output cli / sherpa (median)",
          value: `${ms(firstByte)} / ${ms(median(timed.sherpa.firstByteMs))}`,
        },
        {
          measure: "first byte to exit cli / sherpa (median)",
          value: `${ms(median(timed.cli.ms.map((t, i) => t - timed.cli.firstByteMs[i])))} / ${ms(median(timed.sherpa.ms.map((t, i) => t - timed.sherpa.firstByteMs[i])))}`,
        },
        {
          measure: "peak RSS cli / sherpa (median)",
          value: `${mib(timed.cli.peakRssBytes)} / ${mib(timed.sherpa.peakRssBytes)}`,
        },
        {
          measure: "segments cli / sherpa",
          value: `${accounts.at(-1).segments} / ${sherpaSegments}`,
        },
      ],
      notes: [
        "The CLI loads Silero from its cache of ORT-optimized models (`~/.cache/edgeline`, filled by the first warm-up run); the cache-off row is what a first run costs, run after each pair, not paired with sherpa.",
        `Node start-up alone is \`node -e ""\`, run after each pair; "rest" is the CLI's time to first byte less Node start-up, model load and every stage's time: loading its modules and onnxruntime-node, opening and reading the file, the pipeline's hops between stages, closing the session.`,
        "Both print their segments; the counts may differ by a few because sherpa's segmenter is its own code (its padding, where it splits), with the gate's threshold and shortest speech and silence; both score the same audio with the same model.",
        "The CLI scores a file in stretches side by side (batched, its default for files; `--sequential` for frame after frame), with a second intra-op thread when the load average leaves a core free.",
      ],
      raw: {
        cli,
        sherpa: peer,
        ratio,
        nodeStartMs: nodeMs,
        cacheOff: {
          ms: uncached.map((r) => r.ms),
          modelLoadMs: uncached.map((r) => account(r.stdout).modelLoadMs),
        },
        breakdown: {
          modelLoadMs: loadMs,
          scoringMs,
          otherStagesMs,
          restMs,
          firstByteMs: firstByte,
        },
        firstByteMs: { cli: timed.cli.firstByteMs, sherpa: timed.sherpa.firstByteMs },
        peakRss: { cli: timed.cli.peakRssBytes, sherpa: timed.sherpa.peakRssBytes },
        target: TARGET,
      },
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
