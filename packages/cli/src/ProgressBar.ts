/**
 * A progress bar on stderr for long work, with cli-progress. It appears only
 * on a terminal and only when the work is long (or when forced), so piped
 * output and short files stay clean.
 */
import cliProgress from "cli-progress"

export interface ProgressBar {
  update(done: number, total: number): void
  stop(): void
}

export const progressBar = (options: {
  readonly force: boolean | undefined
  readonly minTotal: number
}): ProgressBar => {
  let bar: cliProgress.SingleBar | undefined
  let stopped = false
  return {
    update: (done, total) => {
      if (stopped) return
      if (bar === undefined) {
        const wanted = options.force ?? (process.stderr.isTTY === true && total >= options.minTotal)
        if (!wanted) return
        bar = new cliProgress.SingleBar(
          {
            stream: process.stderr,
            format: "voice gate [{bar}] {percentage}% | {value}/{total} frames | eta {eta}s",
            noTTYOutput: options.force === true,
            notTTYSchedule: 200,
          },
          cliProgress.Presets.shades_classic,
        )
        bar.start(total, 0)
      }
      bar.update(done)
    },
    stop: () => {
      if (!stopped && bar !== undefined) bar.stop()
      stopped = true
    },
  }
}
