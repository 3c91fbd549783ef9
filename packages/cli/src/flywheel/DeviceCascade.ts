/**
 * The message-triage cascade as a device runs it from a fleet registry:
 * `MessageTriage` with its student read from a sync client's `source` (so
 * the running pipeline switches to each newly activated version without a
 * restart), onnxruntime-node for the student, the cloud tier for what it is
 * unsure of. The escalation threshold follows the version being served:
 * each version's threshold is in its manifest entry's metadata.
 */
import {
  createRunner,
  type Escalate,
  ModelRef,
  ModelSource,
  OpenAiCloudModel,
  type Runner,
} from "@edgeline/core"
import { type FeaturizerConfig, Presets } from "@edgeline/distill"
import { MessageTriage } from "@edgeline/recipes"
import { OnnxBackend } from "@edgeline/runtime-node"
import { Effect, Layer } from "effect"
import type { CloudTier } from "./CloudTier.js"
import { FlywheelError } from "./FlywheelError.js"

/** The model's name in the registry and in the pipeline's ref. */
export const MODEL = "message-triage"

/** How the pipeline featurizes text: every version it switches to must have been trained on it. */
export const featurizer: FeaturizerConfig.FeaturizerConfig = Presets.triageStudent.featurizer

/** The ref the pipeline names: the sync source serves whatever version is active. */
export const ref = ModelRef.make(MODEL, `sync:${MODEL}`)

const SWAP_TIMEOUT_MS = 60_000

export type Output = Escalate.Escalated<string, MessageTriage.Prepared>

export interface DeviceCascade {
  readonly run: (message: MessageTriage.Message) => Promise<Output>
  /** The version the pipeline serves now (from the runner's model events). */
  readonly serving: () => string | undefined
  /** Resolves once the pipeline serves `version` (loading it first if nothing is loaded yet). */
  readonly servingVersion: (version: string) => Promise<void>
  readonly close: () => Promise<void>
}

export const open = async (options: {
  readonly source: ModelSource.Shape
  readonly cloud: CloudTier
  /** The threshold of a version, from its manifest metadata. */
  readonly thresholdOf: (version: string) => number
  readonly onLabelled?: MessageTriage.Options["onLabelled"]
}): Promise<DeviceCascade> => {
  let serving: string | undefined
  /** Why each version that failed to load did (kept: a failure may come before anyone waits for it). */
  const failures = new Map<string, string>()
  const waiting = new Set<() => void>()
  const pipeline = await Effect.runPromise(
    MessageTriage.make({
      model: ref,
      labels: options.cloud.labels,
      featurizer,
      cloudModel: options.cloud.model,
      // Read per message: the version that scored it is the one serving (no version changes mid-round).
      policy: {
        threshold: () => {
          if (serving === undefined)
            throw new FlywheelError("the device triaged before its model loaded")
          return options.thresholdOf(serving)
        },
      },
      onLabelled: options.onLabelled,
    }),
  )
  const runner: Runner.Runner<MessageTriage.Message, Output> = await createRunner(pipeline, {
    layer: Layer.mergeAll(
      OnnxBackend.layer(),
      Layer.succeed(ModelSource.ModelSource, options.source),
      OpenAiCloudModel.layer({
        baseUrl: options.cloud.baseUrl,
        apiKey: options.cloud.apiKey,
        model: options.cloud.model,
      }),
    ),
  })
  const unobserve = runner.observe(
    (observation) => {
      const model = observation.models.find((m) => m.name === MODEL)
      if (model === undefined) return
      serving = model.version
      if (model.event === "SwapFailed" && model.failedVersion !== undefined) {
        failures.set(
          model.failedVersion,
          `version ${model.failedVersion} did not load on the device (${model.error?.message}); version ${model.version} still serves`,
        )
      }
      for (const wake of waiting) wake()
    },
    { intervalMs: 0 },
  )
  const servingVersion = async (version: string) => {
    if (serving === undefined) await runner.load()
    await new Promise<void>((resolve, reject) => {
      // A swap takes a load of a ~130 KB model: a minute means something is wrong.
      const timer = setTimeout(() => {
        waiting.delete(check)
        reject(
          new FlywheelError(
            `the device's pipeline still serves version ${serving} a minute after ${version} was activated`,
          ),
        )
      }, SWAP_TIMEOUT_MS)
      const check = () => {
        if (serving === version) resolve()
        else if (failures.has(version)) reject(new FlywheelError(failures.get(version)!))
        else return
        clearTimeout(timer)
        waiting.delete(check)
      }
      waiting.add(check)
      check()
    })
  }
  return {
    run: (message) => runner.run(message),
    serving: () => serving,
    servingVersion,
    close: async () => {
      unobserve()
      await runner.close()
    },
  }
}
