/**
 * The flywheel's training data on the wire: each message the device
 * escalated, with the cloud's answer as its label, recorded as a telemetry
 * sample and uploaded through the outbox to the ingest, which appends it to
 * a JSONL file. The trainer reads that file back here.
 *
 * What the sample's `text` is, is a privacy decision. By default it is the
 * condensed prompt the cascade already sent the cloud (cleaned, personal
 * data masked, the best sentences under the token budget): nothing leaves
 * the device that had not left it already. `--share-raw-text` sends the
 * message as written instead: an explicit opt-in, for fleets whose users
 * agreed to it (the student learns faster from the text it reads on the
 * device; see the CLI's README for the measured difference).
 */
import { readFile } from "node:fs/promises"
import { Schema } from "effect"

/** The telemetry sample's name. */
export const NAME = "message-triage.escalation"

export type TextKind = "condensed" | "raw"

export interface Payload {
  readonly text: string
  /** The cloud's label: what the next student learns. */
  readonly label: string
  readonly studentLabel: string
  readonly studentConfidence: number
  /** The model version that escalated it. */
  readonly model: string
  readonly textKind: TextKind
}

const PayloadSchema = Schema.Struct({
  text: Schema.String,
  label: Schema.String,
  studentLabel: Schema.String,
  studentConfidence: Schema.Number,
  model: Schema.String,
  textKind: Schema.Literals(["condensed", "raw"]),
})

/** One line of the ingest's file, as the dev server writes it. */
const IngestLine = Schema.Struct({
  deviceId: Schema.String,
  event: Schema.Struct({
    id: Schema.String,
    name: Schema.String,
    payload: Schema.optionalKey(Schema.Json),
  }),
})

const decodeLine = Schema.decodeUnknownResult(Schema.fromJsonString(IngestLine))
const decodePayload = Schema.decodeUnknownResult(PayloadSchema)

export interface Read {
  /** The escalation samples, in the order the ingest stored them (each event id once). */
  readonly samples: ReadonlyArray<Payload & { readonly id: string; readonly deviceId: string }>
  /** Escalation samples that were not usable (a payload of another shape, an unknown label): skipped. */
  readonly skipped: number
}

/**
 * The escalation samples in the ingest's file. Devices are not trusted: a
 * sample whose payload is not a `Payload` with one of `labels` is skipped
 * and counted, never trained on. A missing file is an empty one.
 */
export const fromIngest = async (file: string, labels: ReadonlyArray<string>): Promise<Read> => {
  const text = await readFile(file, "utf8").catch((e: NodeJS.ErrnoException) =>
    e.code === "ENOENT" ? "" : Promise.reject(e),
  )
  const samples: Array<Payload & { id: string; deviceId: string }> = []
  let skipped = 0
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue
    const decoded = decodeLine(line)
    // A torn last line (the server died mid-write) was never acknowledged: the device sends it again.
    if (decoded._tag === "Failure") continue
    const { deviceId, event } = decoded.success
    if (event.name !== NAME) continue
    const payload = decodePayload(event.payload)
    if (
      payload._tag === "Failure" ||
      !labels.includes(payload.success.label) ||
      payload.success.text.trim() === ""
    ) {
      skipped++
      continue
    }
    samples.push({ ...payload.success, id: event.id, deviceId })
  }
  return { samples, skipped }
}
