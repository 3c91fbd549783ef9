// (h) The CLI as a whole process: `edgeline voice-gate rec.wav --json` on
// the 60 s recording, from spawn to exit, against a bare onnxruntime-node
// script doing the same job as a whole process (bench/lib/bare-gate-process.mjs:
// read the WAV, Silero frame by frame, the gate's segment rules, JSON out).
// What a user waits for: Node's start, module loading, the model's session,
// the work. Runs alternate (ABBA) so the machine's noise hits both alike.
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { EDGELINE, timeNode } from "./lib/command.mjs"
import { ms, num } from "./lib/markdown.mjs"
import { mib, timeProcessPairs } from "./lib/process-pairs.mjs"

export const TARGET = 1.3

const bare = fileURLToPath(new URL("./lib/bare-gate-process.mjs", import.meta.url))

export const run = async ({ recording, warmup = 2, reps = 12, log }) => {
  const dir = await mkdtemp(join(tmpdir(), "edgeline-bench-cli-"))
  try {
    const wav = join(dir, "recording.wav")
    await writeFile(wav, recording.wav)
    const timed = await timeProcessPairs({
      label: "cli-process",
      cases: {
        cli: () => timeNode([EDGELINE, "voice-gate", wav, "--json"]),
        bare: () => timeNode([bare, wav]),
      },
      warmup,
      reps,
      log,
    })
    const rss = { cli: timed.cli.peakRssBytes, bare: timed.bare.peakRssBytes }
    const last = {
      cli: JSON.parse(timed.cli.stdouts.at(-1)),
      bare: JSON.parse(timed.bare.stdouts.at(-1)),
    }
    const cli = timed.cli.wall
    const base = timed.bare.wall
    const ratio = timed.ratio
    const status = ratio <= TARGET ? "PASS" : "FAIL"
    return {
      id: "cli-process",
      title: "(h) CLI as a whole process vs a bare onnxruntime-node script",
      summary: `\`edgeline voice-gate recording.wav --json\` (the committed bin, as npm links it) on the ${recording.durationSec} s recording (16 kHz PCM16 WAV), spawn to exit, vs \`bench/lib/bare-gate-process.mjs\` doing the same job with onnxruntime-node alone (read the WAV, Silero v5 frame by frame with one thread, the gate's segment rules, JSON out). ${warmup} warm-up pairs, then ${reps} pairs alternating the order; ratio = median of per-pair ratios.`,
      headline: `cli/bare = ${num(ratio, 2)}× (${(cli.median / 1000).toFixed(2)} s vs ${(base.median / 1000).toFixed(2)} s)`,
      target: `≤ ${TARGET}×`,
      status,
      rows: [
        {
          measure: "edgeline voice-gate (median wall)",
          value: `${ms(cli.median)} (±${cli.mad.toFixed(1)} MAD, n=${cli.n})`,
        },
        {
          measure: "bare onnxruntime-node script (median wall)",
          value: `${ms(base.median)} (±${base.mad.toFixed(1)} MAD, n=${base.n})`,
        },
        {
          measure: "ratio cli/bare (median of pairs)",
          value: num(ratio, 3),
          target: `≤ ${TARGET}`,
          result: status,
        },
        { measure: "cli − bare (medians)", value: ms(cli.median - base.median) },
        { measure: "peak RSS cli / bare (median)", value: `${mib(rss.cli)} / ${mib(rss.bare)}` },
        {
          measure: "segments cli / bare",
          value: `${last.cli.segments.length} / ${last.bare.segments.length}`,
        },
      ],
      notes: [
        "Both print their segments as JSON; the CLI also reports per-stage timings and bytes, and handles every WAV encoding, rate and length (the bare script only this file's).",
      ],
      raw: { cli, bare: base, ratio, peakRss: rss, target: TARGET },
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
