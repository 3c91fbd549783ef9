/**
 * The device of a flywheel run, as an app on a Node device would be built:
 * a sync client keeping the student current from the registry (a file
 * store, so what it fetched survives a restart), the triage cascade reading
 * it, and a telemetry outbox (a file journal) uploading each answered
 * escalation to the ingest. It is handed messages without their labels:
 * the device never sees ground truth.
 */
import { join } from "node:path"
import { Telemetry } from "@edgeline/core"
import { MessageTriage } from "@edgeline/recipes"
import { Outbox, SyncClient } from "@edgeline/sync"
import { FileStore, OutboxFile } from "@edgeline/sync/node"
import { Effect, Exit, Scope } from "effect"
import type { CloudTier } from "./CloudTier.js"
import * as DeviceCascade from "./DeviceCascade.js"
import * as EscalationSample from "./EscalationSample.js"
import { FlywheelError } from "./FlywheelError.js"
import { CONCURRENCY, inPool } from "./inPool.js"
import type { Registry } from "./Registry.js"
import { CHANNEL } from "./Registry.js"

export interface Traffic {
  /** Each message's answer, by id. */
  readonly answers: ReadonlyMap<string, DeviceCascade.Output>
  readonly escalated: number
  readonly degraded: number
  readonly tokensSent: number
  /** The versions the pipeline served while it triaged. */
  readonly versions: ReadonlyArray<string>
}

export interface Device {
  /** Checks the registry; resolves with the version activated once the pipeline serves it (undefined: nothing new). */
  readonly update: () => Promise<string | undefined>
  /** Triages unlabelled messages; each answered escalation is queued as telemetry. */
  readonly triage: (
    messages: ReadonlyArray<{ readonly id: string; readonly text: string }>,
  ) => Promise<Traffic>
  /** Uploads what the outbox holds; resolves with how many events went. */
  readonly flush: () => Promise<number>
  /** What the pipeline reads models from, for another pipeline on this device (the evaluator). */
  readonly source: SyncClient.Shape["source"]
  readonly thresholdOf: (version: string) => number
  readonly serving: () => string | undefined
  readonly close: () => Promise<void>
}

export const start = async (options: {
  /** The device's own directory (store, outbox). */
  readonly directory: string
  readonly registry: Registry
  readonly cloud: CloudTier
  /** Send the message as written instead of the condensed prompt (opt-in; see EscalationSample). */
  readonly shareRawText: boolean
}): Promise<Device> => {
  const { registry } = options
  const scope = Effect.runSync(Scope.make())
  const inScope = <A, E>(effect: Effect.Effect<A, E, Scope.Scope>) =>
    Effect.runPromise(effect.pipe(Scope.provide(scope)))
  const deviceId = "flywheel-device"
  try {
    const store = await Effect.runPromise(FileStore.make(join(options.directory, "store")))
    const client = await inScope(
      SyncClient.make(
        { registry: registry.url, channel: CHANNEL, trusted: [registry.trusted], deviceId },
        store,
      ),
    )
    const outbox = await inScope(
      Effect.flatMap(OutboxFile.make(join(options.directory, "outbox.jsonl")), (storage) =>
        Outbox.make({ endpoint: registry.ingest, token: registry.token, deviceId, storage }),
      ),
    )
    const thresholds = new Map<string, number>()
    const thresholdOf = (version: string) => {
      const threshold = thresholds.get(version)
      if (threshold === undefined) {
        throw new FlywheelError(
          `version ${version} of ${DeviceCascade.MODEL} has no threshold in its manifest metadata`,
        )
      }
      return threshold
    }
    /** The message texts of the round, by id: only read with `shareRawText`. */
    let raw = new Map<string, string>()
    const recorded = counter()
    let cascade: DeviceCascade.DeviceCascade | undefined
    const onLabelled = (item: MessageTriage.Labelled) => {
      const payload: EscalationSample.Payload = {
        text: options.shareRawText ? (raw.get(item.id!) ?? item.text) : item.text,
        label: item.label,
        studentLabel: item.studentLabel,
        studentConfidence: item.studentConfidence,
        model: cascade?.serving() ?? "unknown",
        textKind: options.shareRawText ? "raw" : "condensed",
      }
      return Telemetry.sample(EscalationSample.NAME, payload).pipe(
        Effect.provideService(Telemetry.Telemetry, outbox.telemetry),
        Effect.ensuring(Effect.sync(recorded.add)),
      )
    }
    cascade = await DeviceCascade.open({
      source: client.source,
      cloud: options.cloud,
      thresholdOf,
      onLabelled,
    })
    const opened = cascade
    const failed = (what: string) => (e: unknown) => {
      throw new FlywheelError(
        `the device could not ${what} (${registry.url}): ${e instanceof Error ? e.message : String(e)}`,
      )
    }
    let ensured = false
    return {
      update: async () => {
        if (!ensured) {
          // The first update asks for the model: from then on `check` keeps it current.
          await Effect.runPromise(client.ensure(DeviceCascade.MODEL, "latest")).catch(
            failed(`get ${DeviceCascade.MODEL} from the registry`),
          )
          ensured = true
        } else {
          const checked = await Effect.runPromise(client.check).catch(failed("update"))
          if (!checked.activated.some((a) => a.model === DeviceCascade.MODEL)) return undefined
        }
        const state = await Effect.runPromise(client.state).catch(failed("read its store"))
        const active = state.models[DeviceCascade.MODEL]!.active
        const threshold = active.metadata?.threshold
        if (typeof threshold !== "number" || !(threshold >= 0 && threshold <= 1 + 1e-9)) {
          throw new FlywheelError(
            `version ${active.version} of ${DeviceCascade.MODEL} was published without a threshold (0 to 1) in its metadata: publish it with its card's threshold`,
          )
        }
        if (!sameFeaturizer(active.metadata?.featurizer)) {
          throw new FlywheelError(
            `version ${active.version} of ${DeviceCascade.MODEL} reads text with another featurizer (${JSON.stringify(active.metadata?.featurizer)}) than the running pipeline: it cannot switch to it without a restart`,
          )
        }
        thresholds.set(active.version, threshold)
        await opened.servingVersion(active.version)
        return active.version
      },
      triage: async (messages) => {
        raw = new Map(messages.map((m) => [m.id, m.text]))
        const answers = new Map<string, DeviceCascade.Output>()
        const versions = new Set<string>()
        const before = recorded.count()
        await inPool(messages, CONCURRENCY, async (m) => {
          versions.add(opened.serving()!)
          answers.set(m.id, await opened.run({ id: m.id, text: m.text }))
        })
        let escalated = 0
        let degraded = 0
        let tokensSent = 0
        for (const answer of answers.values()) {
          const result = MessageTriage.result(answer)
          if (result.escalated) escalated++
          if (result.degraded) degraded++
          tokensSent += result.tokensSent
        }
        // Taps record off the caller's path: wait until every escalation is queued.
        await recorded.reach(before + escalated)
        return { answers, escalated, degraded, tokensSent, versions: [...versions] }
      },
      flush: () => Effect.runPromise(outbox.flush).catch(failed("upload its telemetry")),
      source: client.source,
      thresholdOf,
      serving: () => opened.serving(),
      close: async () => {
        try {
          await opened.close()
        } finally {
          await Effect.runPromise(Scope.close(scope, Exit.void))
        }
      },
    }
  } catch (e) {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    throw e
  }
}

/** Whether a manifest's `featurizer` is the pipeline's, field by field (key order aside). */
const sameFeaturizer = (given: unknown): boolean => {
  if (typeof given !== "object" || given === null) return false
  const expected = Object.entries(DeviceCascade.featurizer)
  return (
    Object.keys(given).length === expected.length &&
    expected.every(
      ([key, value]) =>
        JSON.stringify((given as Record<string, unknown>)[key]) === JSON.stringify(value),
    )
  )
}

/** A count that can be awaited: taps record on fibers of their own, so the device waits for them. */
const counter = () => {
  let count = 0
  const waiters = new Set<{ readonly at: number; readonly done: () => void }>()
  return {
    count: () => count,
    add: () => {
      count++
      for (const waiter of waiters) {
        if (count >= waiter.at) {
          waiters.delete(waiter)
          waiter.done()
        }
      }
    },
    reach: (at: number) =>
      count >= at ? Promise.resolve() : new Promise<void>((done) => waiters.add({ at, done })),
  }
}
