/**
 * `edgeline voice-gate <file.wav | ->`: runs the voice gate on a WAV file or
 * a WAV stream on stdin and reports its segments, the share of audio kept,
 * bytes in and out, and per-stage timing. The audio streams from disk or
 * stdin through the gate in pieces, and the kept speech streams to `--out`,
 * so memory stays flat however long the recording.
 */
import type { ReadStream } from "node:fs"
import { type FileHandle, open } from "node:fs/promises"
import { basename } from "node:path"
import type { Readable } from "node:stream"
import { createRunner, type Pipeline } from "@edgeline/core"
import { VoiceGate } from "@edgeline/recipes"
import { NodeRuntime } from "@edgeline/runtime-node"
import { progressBar } from "./ProgressBar.js"
import * as SessionCache from "./SessionCache.js"
import { batchedThreads } from "./SpareCore.js"
import * as SpeechFile from "./SpeechFile.js"
import { InputFileError } from "./UsageError.js"

export interface Flags {
  readonly progress: boolean | undefined
  readonly threshold: number | undefined
  readonly minSpeechMs: number | undefined
  readonly minSilenceMs: number | undefined
  readonly padMs: number | undefined
  /** Where to write the kept speech as a 16 kHz PCM16 WAV file. */
  readonly out: string | undefined
  /**
   * Score frame after frame (bit-identical to Silero's reference loop). By
   * default a file's frames are scored in stretches side by side, about twice
   * as fast; stdin is always sequential, since its pieces come as they arrive.
   */
  readonly sequential?: boolean | undefined
}

export interface Segment {
  readonly start: number
  readonly end: number
}

export interface RunOptions {
  /** Called with each segment as soon as it closes (before the run ends). */
  readonly onSegment?: ((segment: Segment) => void | Promise<void>) | undefined
}

export interface Report {
  /** The file's name, or "stdin". */
  readonly file: string
  readonly durationSec: number
  readonly segments: ReadonlyArray<Segment>
  readonly speechRatio: number
  /** 16 kHz PCM16 bytes examined: 2 bytes per sample after resampling, not the file's size. */
  readonly bytesIn: number
  /** 16 kHz PCM16 bytes kept as speech. */
  readonly bytesOut: number
  /** Loading the model (read, session, warm-up), before the run and outside its timings. */
  readonly modelLoadMs: number
  readonly timings: ReadonlyArray<Pipeline.StageTiming>
}

/** Pieces read from disk at a time: large enough that per-piece costs vanish, small enough to stay flat. */
const PIECE_BYTES = 1 << 20

/**
 * Batched scoring splits each piece into stretches: a piece of 2 MiB (about
 * a minute of 16 kHz PCM16, so nine stretches) is scored as one batch. Larger
 * pieces gain little more and cost memory that grew with the file's length
 * (8 MiB: 283 MiB peak at 1 h, 310 at 3 h; 2 MiB: 193 and 198).
 */
const BATCHED_PIECE_BYTES = 2 << 20

/** Files this large get a progress bar on a terminal (about 30 s of 16 kHz PCM16). */
const LONG_FILE_BYTES = 1_000_000

interface Input {
  readonly name: string
  readonly stream: Readable
  /** Total bytes, when known (a file, not stdin). */
  readonly size: number | undefined
  readonly close: () => Promise<void>
}

const openInput = async (path: string, pieceBytes: number): Promise<Input> => {
  if (path === "-") {
    if (process.stdin.isTTY) {
      throw new InputFileError(
        "voice-gate - reads a WAV stream from stdin, and stdin is a terminal; pipe one in, e.g. `sox -d -t wav - | edgeline voice-gate - --jsonl`",
      )
    }
    return { name: "stdin", stream: process.stdin, size: undefined, close: async () => {} }
  }
  let handle: FileHandle
  try {
    handle = await open(path, "r")
    const info = await handle.stat()
    if (info.isDirectory()) {
      await handle.close()
      throw Object.assign(new Error("is a directory"), { code: "EISDIR" })
    }
    const stream: ReadStream = handle.createReadStream({
      highWaterMark: pieceBytes,
      autoClose: false,
    })
    return {
      name: basename(path),
      stream,
      size: info.size,
      close: () => handle.close().catch(() => undefined),
    }
  } catch (e) {
    throw inputError(path, e)
  }
}

const inputError = (path: string, e: unknown): InputFileError => {
  const code = (e as { code?: string }).code
  return new InputFileError(
    code === "ENOENT"
      ? `${path}: no such file`
      : code === "EISDIR"
        ? `${path}: is a directory, not a WAV file`
        : `${path}: cannot read (${code ?? String(e)})`,
  )
}

/** The input's pieces as Uint8Arrays, counting the bytes handed on; read errors become `InputFileError`. */
async function* pieces(input: Input, counted: (bytes: number) => void) {
  try {
    for await (const piece of input.stream as AsyncIterable<Uint8Array>) {
      counted(piece.byteLength)
      yield piece
    }
  } catch (e) {
    throw inputError(input.name, e)
  }
}

export const run = async (
  path: string,
  flags: Flags,
  options: RunOptions = {},
): Promise<Report> => {
  const scoring = flags.sequential || path === "-" ? "sequential" : "batched"
  const input = await openInput(path, scoring === "batched" ? BATCHED_PIECE_BYTES : PIECE_BYTES)
  let speech: SpeechFile.SpeechFile | undefined
  try {
    // Checked before the model loads: a bad --out fails at once, not after the work.
    speech = flags.out === undefined ? undefined : await SpeechFile.open(flags.out)
  } catch (e) {
    await input.close()
    throw e
  }
  const pipeline = VoiceGate.fromWav({
    threshold: flags.threshold,
    minSpeechMs: flags.minSpeechMs,
    minSilenceMs: flags.minSilenceMs,
    padMs: flags.padMs,
    scoring,
    threads: scoring === "batched" ? batchedThreads() : undefined,
  })
  // Sessions from the optimized-model cache: a short run's start-up is much of its time.
  const runner = await createRunner(pipeline, {
    layer: NodeRuntime.layer({ createSession: SessionCache.createSession() }),
  })
  const bar = progressBar({
    force: flags.progress,
    total: input.size,
    minTotal: LONG_FILE_BYTES,
  })
  let read = 0
  const segments: Array<Segment> = []
  let samples = 0
  let bytesIn = 0
  let bytesOut = 0
  let committed = false
  try {
    // Loaded first, so silero-vad's time below is scoring alone, not loading too.
    const loadStarted = performance.now()
    await runner.load()
    const modelLoadMs = performance.now() - loadStarted
    for await (const gated of runner.stream(pieces(input, (n) => (read += n)))) {
      for (const { start, end } of gated.segments) {
        segments.push({ start, end })
        await options.onSegment?.({ start, end })
      }
      await speech?.append(gated.speech)
      samples += gated.samples
      bytesIn += gated.bytesIn
      bytesOut += gated.bytesOut
      bar.update(read)
    }
    await speech?.commit()
    committed = true
    return {
      file: input.name,
      durationSec: samples / VoiceGate.SAMPLE_RATE,
      segments,
      speechRatio: VoiceGate.speechRatio({ bytesIn, bytesOut }),
      bytesIn,
      bytesOut,
      modelLoadMs,
      timings: await runner.timings(),
    }
  } finally {
    bar.stop()
    if (!committed) await speech?.discard()
    await runner.close()
    await input.close()
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
