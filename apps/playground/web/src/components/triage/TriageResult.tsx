/**
 * One message's way through the cascade: the label and the student's
 * confidence, whether it was escalated (and the cloud's answer, or why it
 * is degraded), and the condensed prompt with its tokens before and after.
 */
import type { Triaged } from "./device.js"

export interface Run {
  readonly triaged: Triaged
  /** Tokens of the message as given (what all-cloud would send). */
  readonly tokensFull: number
  /** The threshold the run met. */
  readonly threshold: number
}

/** Whether the policy wanted the cloud for this run (answered or degraded). */
export const wantedCloud = (run: Run) => run.triaged.source === "cloud" || run.triaged.degraded

/**
 * Tokens this run saved against sending the message to the cloud whole:
 * all of them when it stayed on the device; when the cloud was wanted,
 * only what condensing cut, whether the cloud answered or not (going offline
 * must not look like a saving).
 */
export const tokensSaved = (run: Run) =>
  wantedCloud(run)
    ? run.tokensFull - (run.triaged.input.prompt?.tokensOut ?? run.tokensFull)
    : run.tokensFull

/** The run in one line, for the live region: label, confidence, what happened. */
export const summaryOf = (run: Run) => {
  const { triaged } = run
  const what =
    triaged.source === "cloud"
      ? "escalated, the cloud answered"
      : triaged.degraded
        ? "escalation wanted but the cloud did not answer (degraded)"
        : "kept on the device"
  return `${triaged.value}, student confidence ${triaged.input.confidence.toFixed(4)}: ${what}.`
}

const counted = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`

/** What the condense masked, as words ("" when nothing). */
const maskedText = (masked: { emails: number; phones: number; queries: number }) => {
  const parts = [
    masked.emails > 0 ? counted(masked.emails, "e-mail address", "e-mail addresses") : "",
    masked.phones > 0 ? counted(masked.phones, "phone number", "phone numbers") : "",
    masked.queries > 0 ? counted(masked.queries, "URL query", "URL queries") : "",
  ].filter((p) => p !== "")
  return parts.length === 0 ? "" : `; masked ${parts.join(", ")}`
}

const decision = (run: Run) => {
  const { triaged } = run
  const student = triaged.input
  const confidence = student.confidence.toFixed(4)
  if (triaged.source === "cloud") {
    return (
      <p>
        <strong>Escalated</strong>: the student said {student.label} at {confidence}, below the
        threshold {run.threshold.toFixed(4)}. The cloud answered{" "}
        <strong data-testid="cloud-answer">{triaged.value}</strong>.
      </p>
    )
  }
  if (triaged.degraded) {
    return (
      <p class="degraded" data-testid="degraded">
        <strong>Degraded</strong>: escalation was wanted (confidence {confidence} is below{" "}
        {run.threshold.toFixed(4)}), but the cloud did not answer ({triaged.reason ?? "no reason"}
        ). The label is the student's; triage it again when the link is back.
      </p>
    )
  }
  return (
    <p>
      <strong>Kept on the device</strong>: confidence {confidence} is at or above the threshold{" "}
      {run.threshold.toFixed(4)}; nothing was sent.
    </p>
  )
}

export const TriageResult = ({ run }: { readonly run: Run }) => {
  const prompt = run.triaged.input.prompt
  return (
    <div class="triage-result" data-testid="triage-result">
      <p class="triage-label">
        Label: <strong data-testid="triage-label">{run.triaged.value}</strong> · student confidence{" "}
        <span data-testid="triage-confidence">{run.triaged.input.confidence.toFixed(4)}</span>
      </p>
      {decision(run)}
      {prompt === undefined ? (
        <p>
          Tokens: <span data-testid="tokens-before">{run.tokensFull}</span> in the message, 0 sent
          (not condensed: it stayed on the device).
        </p>
      ) : (
        <>
          <p>
            Condensed prompt: <span data-testid="tokens-before">{prompt.tokensIn}</span> →{" "}
            <span data-testid="tokens-after">{prompt.tokensOut}</span> tokens (o200k_base),{" "}
            {prompt.sentences.kept} of {prompt.sentences.total} sentences kept
            {maskedText(prompt.masked)}
            {run.triaged.source === "cloud" ? "" : " (not sent: the cloud was unreachable)"}.
          </p>
          <pre class="condensed" data-testid="condensed-prompt">
            {prompt.text}
          </pre>
        </>
      )}
    </div>
  )
}
