/**
 * The message-triage cascade: the distilled student answers on the device;
 * what it is unsure of is condensed (cleaned, personal data masked, the
 * most informative sentences under a token budget) and escalated to the
 * cloud model; escalations are tapped with the cloud's answer as their
 * label, the next student's training data.
 *
 *   message ─▶ features ─▶ student (infer) ─▶ condense (only the unsure) ─▶ escalate ─▶ tap
 *
 * When the cloud fails, the answer is the student's, marked `degraded`, and
 * the message is handed to `onDegraded` for later. The same recipe object
 * runs in Node and in a browser worker: provide a runtime Layer and a
 * `CloudModel` (e.g. `OpenAiCloudModel.layer`).
 */
import {
  CloudModel,
  Condense,
  Escalate,
  type Infer,
  Pipeline,
  type Stage,
  Tap,
} from "@edgeline/core"
import type { FeaturizerConfigError } from "@edgeline/distill/features"
import { Effect } from "effect"
import * as EscalationPolicy from "./EscalationPolicy.js"
import * as TextCondense from "./TextCondense.js"
import * as TriageStudent from "./TriageStudent.js"

export interface Message extends TriageStudent.Message {
  readonly id?: string | undefined
  /** This call's override of the policy (default `"auto"`). */
  readonly escalate?: EscalationPolicy.Override | undefined
}

/** The student's answer, and what would leave the device if it is escalated. */
export interface Prepared extends TriageStudent.Scored<Message> {
  /** The condensed, masked prompt; only for messages the policy escalates (wanted, within budget). */
  readonly prompt?: TextCondense.Condensed | undefined
}

export interface Result {
  readonly id?: string | undefined
  readonly label: string
  /** The student's confidence in its own label (the cloud's label may differ). */
  readonly confidence: number
  /** The cloud answered this one. */
  readonly escalated: boolean
  /** The cloud was wanted but failed: the label is the student's. */
  readonly degraded: boolean
  /** Tokens sent to the cloud after condensing; 0 when handled locally. */
  readonly tokensSent: number
  readonly reason?: string | undefined
}

/** An escalation the cloud answered: the masked text that was sent, and its label. */
export interface Labelled {
  readonly id?: string | undefined
  readonly text: string
  readonly label: string
  readonly studentLabel: string
  readonly studentConfidence: number
}

export interface Options extends TriageStudent.Options {
  readonly policy?: EscalationPolicy.Options | undefined
  readonly condense?: TextCondense.Options | undefined
  /** The cloud model's name (default: the `CloudModel`'s own). */
  readonly cloudModel?: string | undefined
  readonly timeoutMs?: number | undefined
  /** Records each answered escalation (the flywheel's training data); runs off the caller's path. */
  readonly onLabelled?: ((item: Labelled) => Effect.Effect<void> | void) | undefined
  /** Records a message whose escalation failed, for later. */
  readonly onDegraded?: ((item: Escalate.DegradedItem<Prepared, string>) => void) | undefined
}

const DEFAULT_LABELS: ReadonlyArray<string> = ["ham", "spam"]

const answerSchema = (labels: ReadonlyArray<string>) => ({
  type: "object",
  properties: { label: { type: "string", enum: labels } },
  required: ["label"],
  additionalProperties: false,
})

/**
 * The cloud request the cascade sends for one condensed prompt: one label
 * out of `labels` (default `ham`, `spam`), as strict JSON. Exported so an
 * offline evaluation asks exactly what the live cascade asks.
 */
export const cloudRequest = (
  prompt: string,
  options: {
    readonly labels?: ReadonlyArray<string> | undefined
    readonly cloudModel?: string | undefined
  } = {},
): CloudModel.ChatRequest => ({
  model: options.cloudModel,
  messages: [{ role: "user", content: prompt }],
  responseFormat: {
    type: "json_schema",
    name: "triage",
    schema: answerSchema(options.labels ?? DEFAULT_LABELS),
    strict: true,
  },
})

/** The cloud's label from its JSON answer to `cloudRequest`; throws for a label outside `labels`. */
export const cloudLabel = (
  content: string,
  labels: ReadonlyArray<string> = DEFAULT_LABELS,
): string => {
  const label = (JSON.parse(content) as { label?: unknown }).label
  if (typeof label !== "string" || !labels.includes(label)) {
    throw new Error(`the cloud answered ${JSON.stringify(label)}, not one of ${labels.join(", ")}`)
  }
  return label
}

/** The cascade as a pipeline; building it starts the student's featurizer. */
export const make = (
  options: Options = {},
): Effect.Effect<
  Pipeline.Pipeline<
    Message,
    Escalate.Escalated<string, Prepared>,
    Infer.InferError,
    Infer.InferServices | CloudModel.CloudModel
  >,
  FeaturizerConfigError
> =>
  Effect.map(TriageStudent.features<Message>(options), (featurize) => {
    const student = TriageStudent.classify<Message>(options)
    const policy = EscalationPolicy.make(options.policy)
    const labels = options.labels ?? DEFAULT_LABELS
    const condense: Stage.Stage<
      TriageStudent.Scored<Message>,
      Prepared,
      never,
      never
    > = Condense.condense({
      name: "triage-condense",
      run: (scored: TriageStudent.Scored<Message>) =>
        // The budget is spent here, so a message over the caps is not condensed for nothing.
        policy.wants(scored.confidence, scored.input.escalate) &&
        policy.spend(Date.now(), scored.input.escalate)
          ? Effect.map(
              TextCondense.condense(scored.input.text, options.condense),
              (prompt): Prepared => ({ ...scored, prompt }),
            )
          : Effect.succeed<Prepared>(scored),
      measure: (_input, out: Prepared) => ({
        unit: "tokens",
        before: out.prompt?.tokensIn ?? 0,
        after: out.prompt?.tokensOut ?? 0,
      }),
    })
    const escalate = Escalate.escalate<Prepared, string, unknown, CloudModel.CloudModel>({
      name: "triage-escalate",
      local: (prepared) => prepared.label,
      // Condensed means wanted and within budget.
      shouldEscalate: (prepared) => prepared.prompt !== undefined,
      ask: (prepared) =>
        Effect.flatMap(
          CloudModel.chat(
            cloudRequest(prepared.prompt!.text, { labels, cloudModel: options.cloudModel }),
          ),
          (answer) => Effect.try(() => cloudLabel(answer.content, labels)),
        ),
      timeoutMs: options.timeoutMs,
      onDegraded: options.onDegraded,
    })
    const tap = Tap.tap<Escalate.Escalated<string, Prepared>>({
      name: "triage-labelled",
      record: (escalated) => {
        if (escalated.source !== "cloud" || options.onLabelled === undefined) return Effect.void
        const { input } = escalated
        const recorded = options.onLabelled({
          id: input.input.id,
          text: input.prompt!.text,
          label: escalated.value,
          studentLabel: input.label,
          studentConfidence: input.confidence,
        })
        return Effect.isEffect(recorded) ? recorded : Effect.void
      },
    })
    return Pipeline.make("message-triage", featurize, student, condense, escalate, tap)
  })

/** What the CLI and most callers want from a run. */
export const result = (escalated: Escalate.Escalated<string, Prepared>): Result => {
  const prepared = escalated.input
  return {
    id: prepared.input.id,
    label: escalated.value,
    confidence: prepared.confidence,
    escalated: escalated.source === "cloud",
    degraded: escalated.degraded,
    tokensSent: escalated.source === "cloud" ? (prepared.prompt?.tokensOut ?? 0) : 0,
    ...(escalated.reason === undefined ? {} : { reason: escalated.reason }),
  }
}
