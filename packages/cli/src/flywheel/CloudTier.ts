/**
 * The cloud side of the flywheel, on loopback: the reference cloud tier
 * (`@edgeline/cloud-server`) serving the committed message-triage teacher
 * behind OpenAI's API. The trainer asks it for soft labels, as `npm run
 * distill` does; the device's cascade sends it what it is unsure of.
 *
 * The teacher runs as `@edgeline/distill`'s TypeScript forward pass, not
 * onnxruntime (whose float kernels differ by CPU in the last bits), so its
 * answers, and so every student of a run, are the same on every machine.
 */
import { randomUUID } from "node:crypto"
import { readFile } from "node:fs/promises"
import { CloudServer, TriageTeacher } from "@edgeline/cloud-server"
import { Classifier, Presets } from "@edgeline/distill"

export interface CloudTier {
  /** The API's base, e.g. http://127.0.0.1:39127/v1. */
  readonly baseUrl: string
  /** Sent as `Authorization: Bearer <apiKey>`. */
  readonly apiKey: string
  /** The chat model's name. */
  readonly model: string
  readonly labels: ReadonlyArray<string>
  readonly close: () => Promise<void>
}

export const start = async (): Promise<CloudTier> => {
  const teacher = await Classifier.load(new Uint8Array(await readFile(TriageTeacher.modelUrl)))
  const model = Presets.triageTeacher.name
  // A key, as a real endpoint has: the server warns when it runs without auth.
  const apiKey = randomUUID()
  const server = await CloudServer.start({
    port: 0,
    apiKeys: [apiKey],
    models: [
      {
        id: model,
        labels: teacher.card.labels,
        classify: (texts) => texts.map((text) => teacher.classify(text)),
      },
    ],
  })
  return {
    baseUrl: `${server.url}/v1`,
    apiKey,
    model,
    labels: teacher.card.labels,
    close: () => server.close(),
  }
}
