/**
 * A progress bar on stderr for long work, with cli-progress, counting the
 * input's bytes read. It appears only on a terminal, only when the total is
 * known and large (or when forced), so piped output and short files stay clean.
 */
import cliProgress from "cli-progress"

export interface ProgressBar {
  update(done: number): void
  stop(): void
}

const megabytes = (bytes: number) => (bytes / 1e6).toFixed(1)

export const progressBar = (options: {
  readonly force: boolean | undefined
  /** Total bytes, when known. */
  readonly total: number | undefined
  readonly minTotal: number
}): ProgressBar => {
  const { total } = options
  const wanted =
    total !== undefined &&
    (options.force ?? (process.stderr.isTTY === true && total >= options.minTotal))
  if (!wanted) return { update: () => {}, stop: () => {} }
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: "voice gate [{bar}] {percentage}% | {value}/{total} MB | eta {eta}s",
      formatValue: (value, _, type) =>
        type === "value" || type === "total" ? megabytes(value) : String(value),
      noTTYOutput: options.force === true,
      notTTYSchedule: 200,
    },
    cliProgress.Presets.shades_classic,
  )
  bar.start(total, 0)
  let stopped = false
  return {
    update: (done) => {
      if (!stopped) bar.update(done)
    },
    stop: () => {
      if (stopped) return
      stopped = true
      bar.stop()
    },
  }
}
