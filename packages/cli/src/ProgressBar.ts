/**
 * A progress bar on stderr for long work, with cli-progress: the input's
 * bytes read (the voice gate) or items done (distill). It appears only on a
 * terminal, only when the total is known and large (or when forced), so
 * piped output and short runs stay clean.
 */
import { createRequire } from "node:module"

/** cli-progress, loaded only when a bar is shown: most runs (piped, short) never need it. */
const cliProgress = (): typeof import("cli-progress") =>
  createRequire(import.meta.url)("cli-progress")

export interface ProgressBar {
  /** `note` is shown after the counts (e.g. tokens and cost so far). */
  update(done: number, note?: string): void
  stop(): void
}

const megabytes = (bytes: number) => (bytes / 1e6).toFixed(1)

export const progressBar = (options: {
  readonly force: boolean | undefined
  /** The total, when known: bytes, or items with `unit: "items"`. */
  readonly total: number | undefined
  readonly minTotal: number
  /** What is going on, before the bar. Default "voice gate". */
  readonly title?: string | undefined
  /** What the counts are: bytes, shown as MB (the default), or items. */
  readonly unit?: "bytes" | "items" | undefined
}): ProgressBar => {
  const { total } = options
  const wanted =
    total !== undefined &&
    (options.force ?? (process.stderr.isTTY === true && total >= options.minTotal))
  if (!wanted) return { update: () => {}, stop: () => {} }
  const bytes = options.unit !== "items"
  const { Presets, SingleBar } = cliProgress()
  const bar = new SingleBar(
    {
      stream: process.stderr,
      format: `${options.title ?? "voice gate"} [{bar}] {percentage}% | {value}/{total}${bytes ? " MB" : ""}{note} | eta {eta}s`,
      formatValue: (value, _, type) =>
        bytes && (type === "value" || type === "total") ? megabytes(value) : String(value),
      noTTYOutput: options.force === true,
      notTTYSchedule: 200,
    },
    Presets.shades_classic,
  )
  bar.start(total, 0, { note: "" })
  let stopped = false
  return {
    update: (done, note) => {
      if (!stopped) bar.update(done, { note: note === undefined ? "" : ` | ${note}` })
    },
    stop: () => {
      if (stopped) return
      stopped = true
      bar.stop()
    },
  }
}
