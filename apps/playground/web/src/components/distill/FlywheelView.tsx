/**
 * The flywheel's rounds: the chart (escalation rate falling as a line,
 * tokens sent as bars; drawn by the server) and, beside it, the same
 * numbers in a table, the chart's text alternative.
 */

import { ScrollX } from "../ScrollX.js"
import type { FlywheelAnswer } from "./DistillApi.js"
import * as format from "./format.js"
import { SourceLine } from "./ReportView.js"

export const FlywheelView = ({ answer }: { readonly answer: FlywheelAnswer }) => {
  const { run } = answer
  const rates = run.rounds.map((r) => format.percent1(r.escalationRate)).join(" → ")
  return (
    <div class="distill-flywheel">
      <h3 id="distill-flywheel-title">The flywheel's rounds</h3>
      <SourceLine
        source={answer.source}
        skipped={answer.skipped}
        shipped="A measured run committed in"
      />
      <p>
        Each round the device triages {format.count(run.settings.perRound)} new messages; what it
        escalates, the cloud labels, and the next student learns from. Escalation rate {rates}:{" "}
        <strong>{run.escalationFell ? "fell every round" : "did not fall every round"}</strong>.
      </p>
      <div class="grid-2">
        <figure class="distill-figure" aria-labelledby="distill-flywheel-chart">
          <h4 id="distill-flywheel-chart">Escalation rate and tokens sent, by round</h4>
          {/* Our server's SVG, drawn with distill's Plot.svg from the run's numbers. */}
          <div class="distill-plot" dangerouslySetInnerHTML={{ __html: answer.chart }} />
        </figure>
        <ScrollX label="The flywheel's rounds">
          <table class="distill-rounds">
            <caption>The flywheel's rounds</caption>
            <thead>
              <tr>
                <th scope="col">Round</th>
                <th scope="col">Model</th>
                <th scope="col">Escalated</th>
                <th scope="col">Escalation rate</th>
                <th scope="col">Tokens sent</th>
                <th scope="col">Cascade accuracy (validation)</th>
              </tr>
            </thead>
            <tbody>
              {run.rounds.map((r) => (
                <tr key={r.round}>
                  <th scope="row">{r.round}</th>
                  <td>{r.model}</td>
                  <td>
                    {format.count(r.escalated)} of {format.count(r.messages)}
                  </td>
                  <td>{format.percent1(r.escalationRate)}</td>
                  <td>{format.count(r.tokensSent)}</td>
                  <td>{format.percent1(r.validation.cascadeAccuracy)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollX>
      </div>
      <p class="hint">
        Measure your own from the repository's root (about half a minute for 3 rounds), then Reload:{" "}
        <code>
          npx edgeline flywheel --rounds 5 --json apps/playground/.data/flywheel/mine.json
        </code>
      </p>
    </div>
  )
}
