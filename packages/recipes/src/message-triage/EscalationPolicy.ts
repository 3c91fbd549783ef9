/**
 * When the triage cascade asks the cloud: below the student's calibrated
 * confidence threshold (chosen on validation by `@edgeline/distill`, in the
 * model's package), within budget caps per minute and per day, unless the
 * call itself says otherwise.
 */
import * as Student from "@edgeline/model-message-triage"

/** A per-call override: `"always"` asks whatever the student says, `"never"` keeps it local. */
export type Override = "auto" | "always" | "never"

export interface Options {
  /**
   * Escalate below this confidence (default: the committed student's
   * calibrated threshold). A function is read for every message: a device
   * whose model is updated while it runs (`@edgeline/sync`) gives the
   * threshold chosen for the version it serves, kept in the manifest's
   * metadata, without rebuilding the pipeline. It is read when the policy
   * decides, not tied to the run that scored the message: a message scored
   * just before a swap may meet the next version's threshold. It must not
   * throw (a throw is a defect of the pipeline).
   */
  readonly threshold?: number | (() => number) | undefined
  /** Most escalations in any minute (default: no cap). */
  readonly perMinute?: number | undefined
  /** Most escalations in any day (default: no cap). */
  readonly perDay?: number | undefined
}

export interface Policy {
  /** The threshold now (read from `Options.threshold` when that is a function). */
  readonly threshold: number
  /** Whether this answer wants the cloud, before any budget is spent. */
  readonly wants: (confidence: number, override?: Override) => boolean
  /** Spends one escalation at `now` (ms) if the caps allow it; false when over budget. */
  readonly spend: (now: number, override?: Override) => boolean
}

const MINUTE = 60_000
const DAY = 86_400_000

/** A sliding window of the times escalations were spent, pruned as it slides. */
const slidingWindow = (span: number, cap: number | undefined) => {
  const times: Array<number> = []
  return {
    allows: (now: number) => {
      while (times.length > 0 && times[0]! <= now - span) times.shift()
      return cap === undefined || times.length < cap
    },
    add: (now: number) => {
      if (cap !== undefined) times.push(now)
    },
  }
}

export const make = (options: Options = {}): Policy => {
  const given = options.threshold ?? Student.threshold
  const threshold = typeof given === "function" ? given : () => given
  const minute = slidingWindow(MINUTE, options.perMinute)
  const day = slidingWindow(DAY, options.perDay)
  const wants = (confidence: number, override: Override = "auto") =>
    override === "always" || (override === "auto" && confidence < threshold())
  return {
    get threshold() {
      return threshold()
    },
    wants,
    spend: (now, override = "auto") => {
      // An explicit "always" is the caller's decision: it is counted, never refused.
      if (override !== "always" && !(minute.allows(now) && day.allows(now))) return false
      minute.add(now)
      day.add(now)
      return true
    },
  }
}
