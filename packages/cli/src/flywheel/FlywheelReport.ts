/**
 * What a flywheel run reports: per round, the version the device served,
 * its traffic (messages, escalations, tokens sent to the cloud), its
 * accuracy on validation and on the round's own messages (against ground
 * truth the device never saw), and what the next version learned. As a
 * table for people and as JSON (`--json <file>`) for machines.
 */

export interface Round {
  readonly round: number
  /** The version the device's running pipeline served this round (switched to live). */
  readonly model: string
  /** Its escalation threshold (chosen on validation, from the manifest's metadata). */
  readonly threshold: number
  /** What that version was trained on: the seed slice and the escalations learned so far. */
  readonly trainingExamples: number
  readonly escalationsLearned: number
  readonly messages: number
  readonly escalated: number
  readonly escalationRate: number
  /** Escalations the cloud failed to answer (the student's label stood). */
  readonly degraded: number
  /** Tokens the device sent the cloud (condensed prompts, o200k_base). */
  readonly tokensSent: number
  /** The round's answers against the messages' ground truth (never shown to the device). */
  readonly streamAccuracy: number
  readonly validation: {
    readonly studentAccuracy: number
    readonly cascadeAccuracy: number
    readonly escalationRate: number
  }
  /** Escalation samples the ingest held after the round's upload (all rounds so far). */
  readonly ingested: number
  /** The version trained on them and published after the round (none after the last). */
  readonly published?: string | undefined
}

export interface Report {
  readonly settings: {
    readonly rounds: number
    readonly seedSize: number
    readonly perRound: number
    readonly seed: number
    /** What the device sent as training text: the condensed prompt, or the message as written (opt-in). */
    readonly trainingText: "condensed" | "raw"
    /** The cascade accuracy on validation each version's threshold is chosen for. */
    readonly targetAccuracy: number
  }
  readonly teacher: {
    readonly model: string
    /** On validation messages as written, and as the cascade sends them (condensed). */
    readonly accuracy: number
    readonly accuracyOnSent: number
  }
  readonly validationMessages: number
  readonly rounds: ReadonlyArray<Round>
  /** Whether the escalation rate fell from every round to the next. */
  readonly escalationFell: boolean
  /** Where the registry, the ingest's file and the models were kept (`--out`). */
  readonly out?: string | undefined
  readonly durationMs: number
}

export const fell = (rounds: ReadonlyArray<Round>): boolean =>
  rounds.every((r, i) => i === 0 || r.escalationRate < rounds[i - 1]!.escalationRate)

const percent = (x: number) => `${(x * 100).toFixed(1)}%`

const table = (rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)))
  return rows
    .map((r) =>
      r
        .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n")
}

export const format = (report: Report): string => {
  const rows = [
    [
      "round",
      "model",
      "trained on",
      "messages",
      "escalated",
      "rate",
      "tokens sent",
      "stream acc.",
      "val. student",
      "val. cascade",
    ],
    ...report.rounds.map((r) => [
      String(r.round),
      r.model,
      `${r.trainingExamples}`,
      String(r.messages),
      String(r.escalated),
      percent(r.escalationRate),
      r.tokensSent.toLocaleString("en"),
      percent(r.streamAccuracy),
      percent(r.validation.studentAccuracy),
      percent(r.validation.cascadeAccuracy),
    ]),
  ]
  const rates = report.rounds.map((r) => percent(r.escalationRate)).join(" → ")
  const degraded = report.rounds.reduce((n, r) => n + r.degraded, 0)
  return [
    table(rows),
    "",
    `escalation rate ${rates}: ${report.escalationFell ? "fell every round" : "did NOT fall every round"}`,
    `each version's threshold is chosen for ${percent(report.settings.targetAccuracy)} cascade accuracy on ${report.validationMessages} validation messages; the cloud teacher is ${percent(report.teacher.accuracy)} accurate on them as written, ${percent(report.teacher.accuracyOnSent)} as sent`,
    `training text from the device: ${report.settings.trainingText === "raw" ? "the messages as written (--share-raw-text)" : "the condensed, masked prompts the cloud was sent"}`,
    ...(degraded > 0
      ? [`${degraded} escalations failed (the cloud did not answer; the student's label stood)`]
      : []),
    ...(report.out === undefined ? [] : [`registry, telemetry and models kept in ${report.out}`]),
  ].join("\n")
}
