/**
 * A Web Worker that asks the cloud the way a device does: core's
 * OpenAI-compatible CloudModel client (fetch, no Node API), through its
 * Promise front door and through an escalate stage on its Effect Layer.
 */
import { CloudModel, Escalate, OpenAiCloudModel, Pipeline } from "@edgeline/core"
import { Effect } from "effect"

export interface Request {
  readonly baseUrl: string
  readonly unreachableUrl: string
  readonly model: string
  readonly text: string
}

export interface Reply {
  readonly inWorker: boolean
  readonly chat: CloudModel.ChatResponse
  readonly usage: CloudModel.Totals
  readonly escalated: Escalate.Escalated<string, string>
  readonly offline: Escalate.Escalated<string, string>
  readonly recorded: ReadonlyArray<Escalate.DegradedItem<string, string>>
}

self.onmessage = async ({ data }: MessageEvent<Request>) => {
  try {
    const client = await OpenAiCloudModel.createClient({
      baseUrl: data.baseUrl,
      model: data.model,
      pricing: { inputPerMillion: 1, outputPerMillion: 2 },
    })
    const chat = await client.chat({
      messages: [{ role: "user", content: data.text }],
      topLogprobs: 2,
    })
    const usage = client.usage()
    await client.close()

    const recorded: Array<Escalate.DegradedItem<string, string>> = []
    const pipeline = Pipeline.make(
      "triage",
      Escalate.escalate({
        name: "triage-cloud",
        local: () => "ham",
        shouldEscalate: () => true,
        ask: (text: string) =>
          Effect.map(
            CloudModel.chat({ messages: [{ role: "user", content: text }] }),
            (reply) => reply.content,
          ),
        onDegraded: (item) => {
          recorded.push(item)
        },
      }),
    )
    const escalate = (baseUrl: string) =>
      Effect.runPromise(
        Pipeline.run(pipeline, data.text).pipe(
          Effect.provide(OpenAiCloudModel.layer({ baseUrl, model: data.model, retries: false })),
        ),
      )
    self.postMessage({
      inWorker:
        typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== "undefined" &&
        typeof (globalThis as { document?: unknown }).document === "undefined",
      chat,
      usage,
      escalated: await escalate(data.baseUrl),
      offline: await escalate(data.unreachableUrl),
      recorded,
    } satisfies Reply)
  } catch (e) {
    self.postMessage({ error: `${(e as { _tag?: string })._tag ?? "Error"}: ${String(e)}` })
  }
}
