/**
 * A flywheel run as `edgeline flywheel --json` writes it, checked for every
 * field the Distill panel shows: a file missing one is skipped with why,
 * never rendered half. Whether the escalation rate fell is worked out from
 * the rounds, not taken from the file.
 */
import { Result, Schema } from "effect"
import type { FlywheelRun } from "../web/src/components/distill/DistillApi.js"

const Round = Schema.Struct({
  round: Schema.Finite,
  model: Schema.String,
  messages: Schema.Finite,
  escalated: Schema.Finite,
  escalationRate: Schema.Finite,
  tokensSent: Schema.Finite,
  streamAccuracy: Schema.Finite,
  validation: Schema.Struct({ studentAccuracy: Schema.Finite, cascadeAccuracy: Schema.Finite }),
})

const RunFile = Schema.Struct({
  settings: Schema.Struct({ rounds: Schema.Finite, perRound: Schema.Finite, seed: Schema.Finite }),
  rounds: Schema.NonEmptyArray(Round),
  durationMs: Schema.Finite,
})

const decode = Schema.decodeUnknownResult(RunFile)

/** The run in `json`, or throws saying what is wrong with it. */
export const parse = (json: unknown): FlywheelRun => {
  const decoded = decode(json)
  if (Result.isFailure(decoded)) {
    throw new Error(
      `not a flywheel run (npx edgeline flywheel --json <file> writes one): ${String(decoded.failure)}`,
    )
  }
  const { rounds } = decoded.success
  // Checked, then passed on as written: fields the panel does not show (more settings) too.
  return {
    ...(json as FlywheelRun),
    escalationFell: rounds.every(
      (r, i) => i === 0 || r.escalationRate < rounds[i - 1]!.escalationRate,
    ),
  }
}
