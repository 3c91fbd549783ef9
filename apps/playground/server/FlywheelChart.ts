/**
 * A flywheel run as a chart: the escalation rate per round as a line (left
 * axis), the tokens the device sent the cloud as bars (right axis). Drawn
 * with distill's `Plot.svg`, so it looks like the report's plots; its
 * accessible name gives both series in words, and the panel shows the
 * numbers in a table beside it.
 */
import { Plot } from "@edgeline/distill"
import type { FlywheelRun } from "../web/src/components/distill/DistillApi.js"
import { percent1 as percent } from "../web/src/components/distill/format.js"

const RATE = "#1d4ed8"
const TOKENS = "#9ca3af"

/** The chart's name: what a screen reader says for it. */
export const describe = (run: FlywheelRun): string =>
  `Flywheel rounds: the escalation rate per round, ${run.rounds.map((r) => percent(r.escalationRate)).join(" → ")} (${run.escalationFell ? "falling every round" : "not falling every round"}), as a line; tokens sent to the cloud per round, ${run.rounds.map((r) => r.tokensSent.toLocaleString("en-US")).join(" → ")}, as bars.`

export const svg = (run: FlywheelRun): Promise<string> => {
  const values = run.rounds.map((r) => ({
    round: `Round ${r.round} (${r.model})`,
    escalationRate: r.escalationRate,
    tokensSent: r.tokensSent,
  }))
  const x = {
    field: "round",
    type: "ordinal",
    sort: null,
    axis: { title: null, labelAngle: 0 },
  } as const
  return Plot.svg(
    {
      width: 320,
      height: 220,
      data: { values },
      layer: [
        {
          mark: { type: "bar", color: TOKENS, opacity: 0.6, width: { band: 0.5 } },
          encoding: {
            x,
            y: {
              field: "tokensSent",
              type: "quantitative",
              axis: {
                title: "Tokens sent to the cloud (bars)",
                titleColor: "#4b5563",
                orient: "right",
                format: "~s",
              },
            },
          },
        },
        {
          mark: { type: "line", color: RATE, strokeWidth: 3, point: { color: RATE, size: 60 } },
          encoding: {
            x,
            y: {
              field: "escalationRate",
              type: "quantitative",
              axis: { title: "Escalation rate (line)", titleColor: RATE, format: ".0%" },
            },
          },
        },
      ],
      resolve: { scale: { y: "independent" } },
    },
    describe(run),
  )
}
