/**
 * `edgeline flywheel`: the edge-to-cloud loop in one process, round after
 * round (see flywheel/Flywheel.ts): the device triages, the cloud labels
 * what it escalates, the trainer distils the next student from those
 * labels, sync ships it, and the running device switches to it. Prints a
 * table per round; `--json <file>` writes the report as JSON too.
 */
import { open, writeFile } from "node:fs/promises"
import * as Flywheel from "./flywheel/Flywheel.js"
import * as FlywheelReport from "./flywheel/FlywheelReport.js"
import { fileError } from "./Output.js"

export interface Flags {
  readonly rounds: number
  readonly seedSize: number
  readonly perRound: number
  readonly seed: number
  readonly validationSize: number | undefined
  readonly targetAccuracy: number | undefined
  readonly shareRawText: boolean
  readonly out: string | undefined
  readonly json: string | undefined
  /** Progress lines on stderr (default on). */
  readonly progress: boolean
}

export const DEFAULTS = { rounds: 3, seedSize: 100, perRound: 400, seed: 1 } as const

export const run = async (flags: Flags): Promise<FlywheelReport.Report> => {
  // Checked before the run (a report lost at the end of it would waste the
  // run), without touching a report already there.
  if (flags.json !== undefined)
    await open(flags.json, "a")
      .then((file) => file.close())
      .catch((e) => Promise.reject(fileError(flags.json!, e)))
  const started = performance.now()
  const report = await Flywheel.run({
    ...flags,
    onProgress: flags.progress
      ? (message) =>
          process.stderr.write(
            `[flywheel ${((performance.now() - started) / 1000).toFixed(1)}s] ${message}\n`,
          )
      : undefined,
  })
  if (flags.json !== undefined) {
    await writeFile(flags.json, `${JSON.stringify(report, null, 2)}\n`).catch((e) =>
      Promise.reject(fileError(flags.json!, e)),
    )
  }
  return report
}

export const format = FlywheelReport.format
