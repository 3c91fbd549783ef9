/**
 * `edgeline voice-gate <file.wav>`: runs the voice gate on a file and prints
 * its segments, the share of audio kept, bytes in and out, and per-stage
 * timing (or all of it as JSON). Bad input gets one line saying what is
 * wrong and exit code 2.
 */
import { readFile, writeFile } from "node:fs/promises"
import { basename } from "node:path"
import { createRunner, type Pipeline, type Progress } from "@edgeline/core"
import { SileroVad, VoiceGate } from "@edgeline/recipes"
import { NodeRuntime } from "@edgeline/runtime-node"
import { progressBar } from "./ProgressBar.js"
import { InputFileError } from "./UsageError.js"

export interface Flags {
  readonly progress: boolean | undefined
  readonly threshold: number | undefined
  readonly minSpeechMs: number | undefined
  readonly minSilenceMs: number | undefined
  readonly padMs: number | undefined
  readonly out: string | undefined
}

export interface Report {
  readonly file: string
  readonly durationSec: number
  readonly segments: ReadonlyArray<{ readonly start: number; readonly end: number }>
  readonly speechRatio: number
  readonly bytesIn: number
  readonly bytesOut: number
  /** Loading the model (read, session, warm-up), before the run and outside its timings. */
  readonly modelLoadMs: number
  readonly timings: ReadonlyArray<Pipeline.StageTiming>
}

/** Files longer than this get a progress bar on a terminal. */
const LONG_FILE_FRAMES = (30 * VoiceGate.SAMPLE_RATE) / SileroVad.FRAME

const readInput = async (path: string): Promise<Uint8Array> => {
  try {
    return await readFile(path)
  } catch (e) {
    const code = (e as { code?: string }).code
    throw new InputFileError(
      code === "ENOENT"
        ? `${path}: no such file`
        : code === "EISDIR"
          ? `${path}: is a directory, not a WAV file`
          : `${path}: cannot read (${code ?? String(e)})`,
    )
  }
}

export const run = async (path: string, flags: Flags): Promise<Report> => {
  const bytes = await readInput(path)
  const pipeline = VoiceGate.fromWav({
    threshold: flags.threshold,
    minSpeechMs: flags.minSpeechMs,
    minSilenceMs: flags.minSilenceMs,
    padMs: flags.padMs,
  })
  const runner = await createRunner(pipeline, { layer: NodeRuntime.layer() })
  const bar = progressBar({ force: flags.progress, minTotal: LONG_FILE_FRAMES })
  const onProgress: Progress.Listener = (event) => {
    if (event.stage === SileroVad.STAGE) bar.update(event.done, event.total)
  }
  try {
    // Loaded first, so silero-vad's time below is scoring alone, not loading too.
    const loadStarted = performance.now()
    await runner.load()
    const modelLoadMs = performance.now() - loadStarted
    const gated = await runner.run(bytes, { onProgress })
    if (flags.out !== undefined) await writeFile(flags.out, VoiceGate.toWav(gated.speech))
    return {
      file: basename(path),
      durationSec: gated.samples / VoiceGate.SAMPLE_RATE,
      segments: gated.segments,
      speechRatio: VoiceGate.speechRatio(gated),
      bytesIn: gated.bytesIn,
      bytesOut: gated.bytesOut,
      modelLoadMs,
      timings: await runner.timings(),
    }
  } finally {
    bar.stop()
    await runner.close()
  }
}

const seconds = (s: number) => `${s.toFixed(2)} s`

export const format = (report: Report): string => {
  const lines = [`voice gate: ${report.file} (${seconds(report.durationSec)} of audio)`, ""]
  lines.push(`segments (${report.segments.length}):`)
  for (const s of report.segments) {
    lines.push(
      `  ${s.start.toFixed(2).padStart(8)} → ${s.end.toFixed(2).padEnd(8)} ${seconds(s.end - s.start)}`,
    )
  }
  lines.push("")
  lines.push(`speech ratio: ${(report.speechRatio * 100).toFixed(1)} %`)
  lines.push(
    `bytes: ${report.bytesIn.toLocaleString("en-US")} in (16 kHz PCM16), ${report.bytesOut.toLocaleString("en-US")} kept`,
  )
  lines.push("")
  lines.push(`model load: ${report.modelLoadMs.toFixed(1)} ms (before the run)`)
  lines.push("per-stage timing:")
  for (const t of report.timings) {
    lines.push(
      `  ${t.stage.padEnd(16)} ${t.kind.padEnd(11)} ${t.totalMs.toFixed(1).padStart(8)} ms`,
    )
  }
  return lines.join("\n")
}
