/**
 * CMU PocketSphinx as a `Transcriber`: a real large-vocabulary English
 * recogniser that runs offline, standing in for Whisper behind
 * `POST /v1/audio/transcriptions`. It runs Debian's
 * `pocketsphinx_continuous` (packages `pocketsphinx` and
 * `pocketsphinx-en-us`; other systems build it from CMU Sphinx) once per
 * request on the audio as raw 16 kHz mono 16-bit samples, in a file of its
 * own (mode 600) in a private temporary directory, deleted when the run
 * ends. (Not on its stdin: it opens `-infile` by name, and `/dev/stdin` on
 * the socket Node gives a child cannot be opened.) Each run loads the model
 * again: about 0.4 s, then well under real time on one core.
 *
 * It is far less accurate than Whisper, writes lower-case words without
 * punctuation, and knows English only (the README gives its measured word
 * error rate on synthetic speech).
 *
 * @example
 * ```ts
 * import { CloudServer, PocketSphinx } from "@edgeline/cloud-server"
 *
 * const sphinx = await PocketSphinx.transcriber() // fails when it is not installed
 * const server = await CloudServer.start({ transcribers: [sphinx] })
 * ```
 */
import { spawn } from "node:child_process"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { availableParallelism, endianness, tmpdir } from "node:os"
import { join } from "node:path"
import { PocketSphinxMissingError } from "./Errors.js"
import { parse } from "./internal/SphinxOutput.js"
import type { TranscribeOptions, Transcriber, Transcript } from "./Transcriber.js"

/** The recogniser's command: Debian's `pocketsphinx` package installs it in /usr/bin. */
export const COMMAND = "pocketsphinx_continuous"

/** What to install on Debian or Ubuntu when it is missing. */
export const INSTALL_HINT = "apt-get install pocketsphinx pocketsphinx-en-us"

export interface Options {
  /** The model's id in `GET /v1/models` and requests (default `"pocketsphinx-en-us"`). */
  readonly id?: string | undefined
  /** The command to run (default `pocketsphinx_continuous`, found on the PATH). */
  readonly command?: string | undefined
  /**
   * More arguments, e.g. `["-hmm", dir, "-lm", file, "-dict", file]` for
   * another acoustic model, language model or dictionary. The default is
   * Debian's US English model.
   */
  readonly args?: ReadonlyArray<string> | undefined
  /** The ISO-639-1 codes the model transcribes (default `["en"]`). */
  readonly languages?: ReadonlyArray<string> | undefined
  /** The language `verbose_json` reports (default `"english"`). */
  readonly language?: string | undefined
  /**
   * Recogniser processes at once (default: the machine's available
   * parallelism): more requests wait for one to end.
   */
  readonly maxProcesses?: number | undefined
}

export interface PocketSphinxTranscriber extends Transcriber {
  readonly languages: ReadonlyArray<string>
  readonly maxProcesses: number
  /** Ends the processes still running (their requests fail) and refuses new work. */
  readonly close: () => Promise<void>
}

interface Output {
  readonly code: number | null
  readonly stdout: string
  /** The log's `ERROR:` and `FATAL` lines. */
  readonly errors: ReadonlyArray<string>
}

const STDERR_KEPT = 256 * 1024

const abortError = () => new DOMException("The transcription was aborted.", "AbortError")

/** Raw 16-bit little-endian bytes of the samples, as `-infile` reads a file without a header. */
const rawBytes = (samples: Int16Array): Uint8Array => {
  if (endianness() === "LE") {
    return new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength)
  }
  const bytes = new Uint8Array(samples.length * 2)
  const view = new DataView(bytes.buffer)
  for (let i = 0; i < samples.length; i++) view.setInt16(2 * i, samples[i]!, true)
  return bytes
}

const missing = (command: string, cause: unknown) =>
  new PocketSphinxMissingError({
    message: `PocketSphinx is not installed: cannot run ${command} (install pocketsphinx pocketsphinx-en-us, e.g. ${INSTALL_HINT})`,
    cause,
  })

/** One recogniser process over a raw file; resolves with what it printed once it exits. */
const run = (
  command: string,
  args: ReadonlyArray<string>,
  file: string,
  running: Set<() => void>,
  signal: AbortSignal | undefined,
): Promise<Output> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError())
    const child = spawn(command, ["-infile", file, "-time", "yes", ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    })
    let stdout = ""
    let stderr = ""
    let settled = false
    const kill = () => child.kill("SIGKILL")
    const onAbort = () => {
      kill()
      finish(() => reject(abortError()))
    }
    const finish = (then: () => void) => {
      if (settled) return
      settled = true
      running.delete(kill)
      signal?.removeEventListener("abort", onAbort)
      then()
    }
    running.add(kill)
    signal?.addEventListener("abort", onAbort, { once: true })
    child.stdout.setEncoding("utf8").on("data", (text: string) => {
      stdout += text
    })
    child.stderr.setEncoding("utf8").on("data", (text: string) => {
      if (stderr.length < STDERR_KEPT) stderr += text
    })
    child.on("error", (e: NodeJS.ErrnoException) =>
      finish(() => reject(e.code === "ENOENT" ? missing(command, e) : e)),
    )
    child.on("close", (code) =>
      finish(() =>
        resolve({
          code,
          stdout,
          errors: stderr.split("\n").filter((l) => /^(ERROR|FATAL)/.test(l)),
        }),
      ),
    )
  })

/** A process that exited with a failure, as an Error that quotes its log. */
const failed = (command: string, output: Output): Error => {
  const log = output.errors.join("; ")
  const modelMissing = /does not contain acoustic model|No such file|Failed to open/i.test(log)
  if (modelMissing && output.errors.some((l) => l.includes("/usr/share/pocketsphinx/model"))) {
    return missing(command, new Error(log))
  }
  return new Error(
    `${command} exited with ${output.code === null ? "a signal" : `code ${output.code}`}${log === "" ? "" : `: ${log}`}`,
  )
}

/** At most `max` at once; the rest wait in order, or leave when their signal aborts. */
const limiter = (max: number) => {
  let active = 0
  const queue: Array<() => void> = []
  const release = () => {
    active -= 1
    queue.shift()?.()
  }
  const acquire = (signal: AbortSignal | undefined) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortError())
      if (active < max) {
        active += 1
        return resolve()
      }
      const go = () => {
        signal?.removeEventListener("abort", leave)
        active += 1
        resolve()
      }
      const leave = () => {
        const at = queue.indexOf(go)
        if (at >= 0) queue.splice(at, 1)
        reject(abortError())
      }
      queue.push(go)
      signal?.addEventListener("abort", leave, { once: true })
    })
  return { acquire, release }
}

/**
 * A PocketSphinx transcriber. It first runs the recogniser once on no
 * audio, so a missing binary or model fails here, with a
 * `PocketSphinxMissingError` that says what to install, and not at the
 * first request.
 */
export const transcriber = async (options: Options = {}): Promise<PocketSphinxTranscriber> => {
  const command = options.command ?? COMMAND
  const args = options.args ?? []
  const maxProcesses = options.maxProcesses ?? availableParallelism()
  if (!Number.isInteger(maxProcesses) || maxProcesses < 1) {
    throw new RangeError(`maxProcesses must be a positive integer, got ${maxProcesses}`)
  }
  const running = new Set<() => void>()
  const dir = await mkdtemp(join(tmpdir(), "edgeline-pocketsphinx-"))
  let files = 0
  /** The samples in a file of their own for one run, deleted after it. */
  const withFile = async <A>(samples: Int16Array, use: (file: string) => Promise<A>) => {
    const file = join(dir, `${++files}.raw`)
    try {
      await writeFile(file, rawBytes(samples), { mode: 0o600 })
      return await use(file)
    } finally {
      await rm(file, { force: true })
    }
  }
  const probe = await withFile(new Int16Array(0), (file) =>
    run(command, args, file, running, undefined),
  ).catch(async (e: unknown) => {
    await rm(dir, { recursive: true, force: true })
    throw e
  })
  if (probe.code !== 0) {
    await rm(dir, { recursive: true, force: true })
    throw failed(command, probe)
  }

  const slots = limiter(maxProcesses)
  let closed = false
  const language = options.language ?? "english"
  return {
    id: options.id ?? "pocketsphinx-en-us",
    description:
      "CMU PocketSphinx (Debian's pocketsphinx_continuous and US English model): a large-vocabulary recogniser standing in for Whisper",
    ownedBy: "edgeline",
    languages: options.languages ?? ["en"],
    maxProcesses,
    transcribe: async (samples: Int16Array, { signal }: TranscribeOptions): Promise<Transcript> => {
      if (closed) throw new Error("this PocketSphinx transcriber is closed")
      await slots.acquire(signal)
      try {
        if (closed) throw new Error("this PocketSphinx transcriber is closed")
        const output = await withFile(samples, (file) => run(command, args, file, running, signal))
        if (output.code !== 0) throw failed(command, output)
        return { ...parse(output.stdout), language }
      } finally {
        slots.release()
      }
    },
    close: async () => {
      closed = true
      for (const kill of running) kill()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
