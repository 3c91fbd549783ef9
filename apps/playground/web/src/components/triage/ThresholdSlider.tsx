/**
 * The escalation threshold as a slider, with what it does on the validation
 * split: share escalated, accuracy, tokens sent. The student's confidences
 * crowd near 1, so the slider moves in "nines" (0.5, 0.95, 0.995, …): each
 * step is the same share of the remaining doubt.
 */

import { ScrollX } from "../ScrollX.js"
import type { ValidationTable } from "./validation.js"
import * as Validation from "./validation.js"

const STEPS = 400
/** Slider position → threshold: 0 → 0.5, 100 → 0.95, 200 → 0.995, 300 → 0.9995, 400 → 0.99995. */
export const thresholdAt = (position: number) => 1 - 0.5 * 10 ** (-position / 100)
export const positionOf = (threshold: number) =>
  Math.min(STEPS, Math.max(0, Math.round(-100 * Math.log10((1 - threshold) / 0.5))))

const pct = (x: number) => `${(x * 100).toFixed(1)} %`
export const formatThreshold = (t: number) => t.toFixed(t >= 0.999 ? 5 : 4)

export const ThresholdSlider = ({
  table,
  position,
  onChange,
}: {
  readonly table: ValidationTable
  readonly position: number
  readonly onChange: (position: number) => void
}) => {
  const threshold = thresholdAt(position)
  const outcome = Validation.at(table, threshold)
  return (
    <div class="threshold">
      {/* The name stays fixed; the value is said by aria-valuetext and shown beside it. */}
      <label for="triage-threshold">Escalation threshold</label>{" "}
      <span>
        (escalate below confidence{" "}
        <strong data-testid="threshold-value">{formatThreshold(threshold)}</strong>)
      </span>
      <input
        id="triage-threshold"
        type="range"
        min={0}
        max={STEPS}
        step={1}
        value={position}
        aria-valuetext={formatThreshold(threshold)}
        onInput={(e) => onChange(Number((e.target as HTMLInputElement).value))}
      />
      <p class="hint">
        The student's calibrated threshold is {formatThreshold(table.student.threshold)}; the slider
        also sets it for the messages you run above.
      </p>
      <ScrollX label="On the validation split">
        <table aria-describedby="triage-validation-about">
          <caption>
            On the validation split ({outcome.messages} SpamAssassin messages) at this threshold
          </caption>
          <thead>
            <tr>
              <th scope="col">Escalated</th>
              <th scope="col">Accuracy</th>
              <th scope="col">Tokens sent</th>
              <th scope="col">Of all-cloud</th>
            </tr>
          </thead>
          <tbody aria-live="polite">
            <tr>
              <td data-testid="validation-escalated">
                {pct(outcome.escalated / outcome.messages)} ({outcome.escalated})
              </td>
              <td data-testid="validation-accuracy">{pct(outcome.accuracy)}</td>
              <td data-testid="validation-tokens">{outcome.tokensSent.toLocaleString("en")}</td>
              <td>{pct(outcome.tokensSent / outcome.tokensAllCloud)}</td>
            </tr>
          </tbody>
        </table>
      </ScrollX>
      <p class="hint" id="triage-validation-about">
        Every fifth message of the corpus's <code>-1</code> subsets (never used to train the
        student). Where the cascade escalates, the label is the cloud's answer to the condensed
        text; elsewhere the student's. All-cloud would send{" "}
        {outcome.tokensAllCloud.toLocaleString("en")} tokens (every message whole). Cloud:{" "}
        {table.cloudModel}, condensed to at most {table.tokenBudget} tokens.
      </p>
    </div>
  )
}
