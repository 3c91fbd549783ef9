#!/usr/bin/env node
/**
 * The `edgeline` command. Exit codes: 0 done, 2 bad usage or bad input
 * (one line on stderr, no stack trace), 1 anything unexpected.
 */
import { parseArgs } from "node:util"
import { Errors } from "@edgeline/core"
import { UsageError } from "./UsageError.js"
import * as VoiceGateCommand from "./VoiceGateCommand.js"

const USAGE = `usage: edgeline voice-gate <file.wav> [--json] [--threshold 0..1] [--min-speech-ms n]
                   [--min-silence-ms n] [--pad-ms n] [--out speech.wav] [--progress | --no-progress]`

/** Tags of input errors that are the user's to fix: exit code 2. */
const INPUT_ERRORS = new Set([
  "InputFileError",
  "WavDecodeError",
  "InputValidationError",
  "ResampleError",
])

const number = (name: string, value: string | undefined, min: number, max: number) => {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a number from ${min} to ${max}, got "${value}"`)
  }
  return n
}

const main = async (argv: ReadonlyArray<string>): Promise<void> => {
  const { values, positionals } = (() => {
    try {
      return parseArgs({
        args: [...argv],
        allowPositionals: true,
        allowNegative: true,
        options: {
          json: { type: "boolean", default: false },
          progress: { type: "boolean" },
          threshold: { type: "string" },
          "min-speech-ms": { type: "string" },
          "min-silence-ms": { type: "string" },
          "pad-ms": { type: "string" },
          out: { type: "string" },
          help: { type: "boolean", short: "h" },
        },
      })
    } catch (e) {
      throw new UsageError((e as Error).message)
    }
  })()
  const [command, file, ...rest] = positionals
  if (values.help || command === undefined) {
    console.log(USAGE)
    return
  }
  if (command !== "voice-gate") throw new UsageError(`unknown command "${command}"`)
  if (file === undefined) throw new UsageError("voice-gate needs a WAV file")
  if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(" ")}`)

  const report = await VoiceGateCommand.run(file, {
    progress: values.progress,
    threshold: number("threshold", values.threshold, 0.01, 0.99),
    minSpeechMs: number("min-speech-ms", values["min-speech-ms"], 0, 60_000),
    minSilenceMs: number("min-silence-ms", values["min-silence-ms"], 0, 60_000),
    padMs: number("pad-ms", values["pad-ms"], 0, 10_000),
    out: values.out,
  })
  console.log(values.json ? JSON.stringify(report, null, 2) : VoiceGateCommand.format(report))
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const tag = (error as { _tag?: string })._tag
  const message = Errors.messageOf(error)
  if (error instanceof UsageError) {
    console.error(`edgeline: ${message}\n${USAGE}`)
    process.exitCode = 2
  } else if (tag !== undefined && INPUT_ERRORS.has(tag)) {
    console.error(`edgeline: ${message.split("\n")[0]}`)
    process.exitCode = 2
  } else {
    console.error(`edgeline: unexpected error${tag ? ` (${tag})` : ""}: ${message.split("\n")[0]}`)
    process.exitCode = 1
  }
})
