/**
 * Staged rollout: whether this device takes a model now. A hash of the
 * model's rollout salt and the device's id places the device at a fixed
 * point in [0, 100); the device takes the model once `percent` passes that
 * point. The same device keeps its place as the percentage rises, and a new
 * salt (each version has its own) draws a new sample of the fleet.
 */
import { Effect } from "effect"
import { createSHA256 } from "hash-wasm"
import type * as Manifest from "./Manifest.js"

/** The device's place in [0, 100) for this salt. */
export const place = (salt: string, deviceId: string): Effect.Effect<number> =>
  Effect.promise(async () => {
    const hasher = await createSHA256()
    const digest = hasher.init().update(`${salt}\u0000${deviceId}`).digest("binary")
    const word = ((digest[0]! << 24) | (digest[1]! << 16) | (digest[2]! << 8) | digest[3]!) >>> 0
    return (word / 2 ** 32) * 100
  })

export const includes = (rollout: Manifest.Rollout, deviceId: string): Effect.Effect<boolean> =>
  rollout.percent >= 100
    ? Effect.succeed(true)
    : Effect.map(place(rollout.salt, deviceId), (p) => p < rollout.percent)
