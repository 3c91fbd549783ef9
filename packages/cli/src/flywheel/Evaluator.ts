/**
 * How good the device is now, measured on the held-out validation split
 * against its ground truth: a second cascade on the device, reading the
 * same sync source (so it too serves the active version, switched live)
 * but recording nothing, so no validation message ever becomes training
 * data. It reports the student's accuracy alone and the cascade's (the
 * cloud's answer where the student escalated).
 */

import type { SpamAssassin } from "@edgeline/distill"
import { MessageTriage } from "@edgeline/recipes"
import type { CloudTier } from "./CloudTier.js"
import type { Device } from "./Device.js"
import * as DeviceCascade from "./DeviceCascade.js"
import { CONCURRENCY, inPool } from "./inPool.js"

export interface Measured {
  /** The version measured. */
  readonly version: string
  readonly studentAccuracy: number
  readonly cascadeAccuracy: number
  /** The share of validation messages the cascade escalated. */
  readonly escalated: number
  /** Escalations the cloud failed to answer (the student's label stood). */
  readonly degraded: number
}

export interface Evaluator {
  /** Measures the version the device serves now. */
  readonly measure: (version: string) => Promise<Measured>
  readonly close: () => Promise<void>
}

export const open = async (options: {
  readonly device: Device
  readonly cloud: CloudTier
  readonly validation: ReadonlyArray<SpamAssassin.Message>
}): Promise<Evaluator> => {
  const cascade = await DeviceCascade.open({
    source: options.device.source,
    cloud: options.cloud,
    thresholdOf: options.device.thresholdOf,
  })
  return {
    measure: async (version) => {
      await cascade.servingVersion(version)
      let student = 0
      let cascaded = 0
      let escalated = 0
      let degraded = 0
      await inPool(options.validation, CONCURRENCY, async (m) => {
        const answer = await cascade.run({ id: m.id, text: m.text })
        const result = MessageTriage.result(answer)
        if (answer.input.label === m.label) student++
        if (result.label === m.label) cascaded++
        if (result.escalated) escalated++
        if (result.degraded) degraded++
      })
      const n = options.validation.length
      return {
        version,
        studentAccuracy: student / n,
        cascadeAccuracy: cascaded / n,
        escalated: escalated / n,
        degraded,
      }
    },
    close: () => cascade.close(),
  }
}
