/**
 * One message's answer as the triage tests compare it, made the same way in
 * Node (test/setup/triage-reference.ts) and in the browser: the recipe's
 * own summary (`MessageTriage.result`), the student's label, and the
 * prompt the policy prepared for the cloud.
 */
import type { Escalate } from "@edgeline/core"
import { MessageTriage } from "@edgeline/recipes"

export interface Answer extends MessageTriage.Result {
  /** The student's own label (the result's is the cloud's when it answered). */
  readonly studentLabel: string
  /** The condensed, masked text the policy prepared for the cloud, if any. */
  readonly prompt?: string | undefined
}

export const answerOf = (
  escalated: Escalate.Escalated<string, MessageTriage.Prepared>,
): Answer => ({
  ...MessageTriage.result(escalated),
  studentLabel: escalated.input.label,
  ...(escalated.input.prompt === undefined ? {} : { prompt: escalated.input.prompt.text }),
})
