/**
 * The `edgeline` command line. Exit codes: 0 done; 2 bad usage or bad input
 * (one line on stderr, no stack trace); 1 a failed write or anything
 * unexpected (one line too).
 *
 * Only parsing lives here, so `--help` and `--version` load neither
 * onnxruntime nor a pipeline: each command's module is imported when run.
 */
import { readFileSync } from "node:fs"
import { parseArgs } from "node:util"
import { OutputError, write } from "./Output.js"
import { UsageError } from "./UsageError.js"

const USAGE = `usage: edgeline voice-gate <file.wav | -> [options]
       edgeline cloud serve [--port n] [options]
       edgeline --version | --help

voice-gate: keeps only the speech of a WAV recording (any PCM, float, A-law or
µ-law WAV, RIFF/RIFX/RF64, 4 kHz to 384 kHz, any channels). "-" reads a WAV
stream from stdin, e.g. \`sox -d -t wav - | edgeline voice-gate - --jsonl\`.

  --json                 the report as one JSON object
  --jsonl                each segment as a JSON line as soon as it closes, then a summary line
  --out speech.wav       write the kept speech as 16 kHz PCM16 WAV
  --threshold 0..1       speech probability that opens a segment (default 0.5)
  --min-speech-ms n      drop shorter segments (default 250)
  --min-silence-ms n     silence that closes a segment (default 100)
  --pad-ms n             padding around each segment (default 30)
  --progress | --no-progress
                         force the progress bar on or off (default: on a terminal, for long files)

cloud serve: the reference OpenAI-compatible cloud tier on loopback, for offline
development and tests (real deployments use OpenAI, vLLM, Ollama, llama.cpp).
Prints its URL on one line; serves until SIGINT or SIGTERM.

  --port n               the port (default: any free one)
  --host h               the address to listen on (default 127.0.0.1)
  --api-key k            a key accepted as "Authorization: Bearer k"; repeatable
                         (none: auth is off, and it says so)
  --max-concurrent n     requests in flight at once, more get a 429 (default 16)
  --max-body-bytes n     largest request body, larger gets a 413 (default 1048576)
  --request-log f.jsonl  append one JSON line per request to this file

exit codes: 0 done, 2 bad usage or input, 1 a failed write or an unexpected error`

/** Tags of input errors that are the user's to fix: exit code 2. */
const INPUT_ERRORS = new Set([
  "InputFileError",
  "WavDecodeError",
  "InputValidationError",
  "ResampleError",
  "CloudServerOptionsError",
  "CloudServerStartError",
])

/** The options each command takes (`help` and `version` go with any). */
const COMMAND_OPTIONS: Record<string, ReadonlyArray<string>> = {
  "voice-gate": [
    "json",
    "jsonl",
    "progress",
    "threshold",
    "min-speech-ms",
    "min-silence-ms",
    "pad-ms",
    "out",
  ],
  cloud: ["port", "host", "api-key", "max-concurrent", "max-body-bytes", "request-log"],
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e))

/** This package's version, from the package.json above this file (compiled or bundled, at any depth). */
const version = (): string => {
  for (let dir = new URL("./", import.meta.url); dir.pathname !== "/"; dir = new URL("../", dir)) {
    try {
      const pkg = JSON.parse(readFileSync(new URL("package.json", dir), "utf8"))
      if (pkg.name === "@edgeline/cli") return String(pkg.version)
    } catch {}
  }
  return "unknown"
}

const number = (name: string, value: string | undefined, min: number, max: number) => {
  if (value === undefined) return undefined
  const n = Number(value)
  if (value.trim() === "" || !Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a number from ${min} to ${max}, got "${value}"`)
  }
  return n
}

const integer = (name: string, value: string | undefined, min: number, max: number) => {
  const n = number(name, value, min, max)
  if (n !== undefined && !Number.isInteger(n)) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${value}"`)
  }
  return n
}

const text = (name: string, value: string | undefined) => {
  if (value === "") throw new UsageError(`--${name} needs a value`)
  return value
}

const parse = (argv: ReadonlyArray<string>) => {
  try {
    return parseArgs({
      args: [...argv],
      allowPositionals: true,
      allowNegative: true,
      tokens: true,
      options: {
        json: { type: "boolean", default: false },
        jsonl: { type: "boolean", default: false },
        progress: { type: "boolean" },
        threshold: { type: "string" },
        "min-speech-ms": { type: "string" },
        "min-silence-ms": { type: "string" },
        "pad-ms": { type: "string" },
        out: { type: "string" },
        port: { type: "string" },
        host: { type: "string" },
        "api-key": { type: "string", multiple: true },
        "max-concurrent": { type: "string" },
        "max-body-bytes": { type: "string" },
        "request-log": { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "v" },
      },
    })
  } catch (e) {
    throw new UsageError(messageOf(e))
  }
}

const main = async (argv: ReadonlyArray<string>): Promise<void> => {
  const { values, positionals, tokens } = parse(argv)
  if (values.version) return write(`${version()}\n`)
  const [command, file, ...rest] = positionals
  if (values.help || command === undefined) return write(`${USAGE}\n`)
  const allowed = COMMAND_OPTIONS[command]
  if (allowed === undefined) throw new UsageError(`unknown command "${command}"`)
  // The options given, not `values`: that also holds defaults.
  const foreign = tokens
    .flatMap((token) => (token.kind === "option" ? [token.name] : []))
    .filter((name) => !allowed.includes(name) && name !== "help" && name !== "version")
  if (foreign.length > 0) throw new UsageError(`${command} has no option --${foreign[0]}`)
  if (command === "cloud") return cloud(file, rest, values)
  if (file === undefined) throw new UsageError("voice-gate needs a WAV file, or - for stdin")
  if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(" ")}`)
  if (values.json && values.jsonl) throw new UsageError("--json and --jsonl exclude each other")
  if (values.out === "") throw new UsageError("--out needs a file name")

  const VoiceGateCommand = await import("./VoiceGateCommand.js")
  const report = await VoiceGateCommand.run(
    file,
    {
      progress: values.progress,
      threshold: number("threshold", values.threshold, 0.01, 0.99),
      minSpeechMs: number("min-speech-ms", values["min-speech-ms"], 0, 60_000),
      minSilenceMs: number("min-silence-ms", values["min-silence-ms"], 0, 60_000),
      padMs: number("pad-ms", values["pad-ms"], 0, 10_000),
      out: values.out,
    },
    {
      onSegment: values.jsonl
        ? (segment) => write(`${JSON.stringify({ event: "segment", ...segment })}\n`)
        : undefined,
    },
  )
  if (values.jsonl) {
    const { segments, ...summary } = report
    return write(`${JSON.stringify({ event: "done", segments: segments.length, ...summary })}\n`)
  }
  return write(
    `${values.json ? JSON.stringify(report, null, 2) : VoiceGateCommand.format(report)}\n`,
  )
}

const cloud = async (
  subcommand: string | undefined,
  rest: ReadonlyArray<string>,
  values: ReturnType<typeof parse>["values"],
): Promise<void> => {
  if (subcommand !== "serve") {
    throw new UsageError(
      subcommand === undefined
        ? "cloud needs a subcommand: serve"
        : `unknown cloud subcommand "${subcommand}"`,
    )
  }
  if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(" ")}`)
  const flags = {
    port: integer("port", values.port, 0, 65535),
    host: text("host", values.host),
    apiKeys: (values["api-key"] ?? []).map((key) => text("api-key", key)!),
    maxConcurrent: integer("max-concurrent", values["max-concurrent"], 1, 100_000),
    maxBodyBytes: integer("max-body-bytes", values["max-body-bytes"], 1, 2 ** 31 - 1),
    requestLog: text("request-log", values["request-log"]),
  }
  const CloudCommand = await import("./CloudCommand.js")
  await CloudCommand.serve(flags, (url) => write(`${url}\n`))
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const tag = (error as { _tag?: string })._tag
  const message = messageOf(error).split("\n")[0]
  if (error instanceof UsageError) {
    console.error(`edgeline: ${message}\n${USAGE}`)
    process.exitCode = 2
  } else if (tag !== undefined && INPUT_ERRORS.has(tag)) {
    console.error(`edgeline: ${message}`)
    process.exitCode = 2
  } else if (error instanceof OutputError || tag === "CloudServeError") {
    console.error(`edgeline: ${message}`)
    process.exitCode = 1
  } else {
    console.error(`edgeline: unexpected error${tag ? ` (${tag})` : ""}: ${message}`)
    process.exitCode = 1
  }
})
