/**
 * The page's end of the triage worker (workers/triage.worker.ts), made once
 * and shared: the triage panel runs the pipeline, the models panel drives
 * the same worker's sync client, so an update there switches the model
 * the triage panel runs.
 */
import type { Escalate, Runner } from "@edgeline/core"
import type { MessageTriage } from "@edgeline/recipes"
import { connectWorker } from "@edgeline/runtime-web"
import * as Comlink from "comlink"
import type { Effect } from "effect"
import type { Config } from "../../Config.js"
import {
  type Control,
  READY,
  type StatusEvent,
  type WorkerConfig,
} from "../../workers/triage.protocol.js"

export type TriagePipeline = Effect.Success<ReturnType<typeof MessageTriage.make>>
export type Triaged = Escalate.Escalated<string, MessageTriage.Prepared>

export interface Device {
  readonly runner: Runner.Runner<MessageTriage.Message, Triaged>
  readonly control: Control
  /** Calls `listener` with every sync status from now on; returns the unsubscribe. */
  readonly onStatus: (listener: (status: StatusEvent) => void) => () => void
}

/** A stable id of this browser for staged rollouts. */
const deviceId = () => {
  const key = "edgeline-playground-device-id"
  const known = localStorage.getItem(key)
  if (known !== null) return known
  const made = crypto.randomUUID()
  localStorage.setItem(key, made)
  return made
}

let device: Device | undefined

export const triageDevice = (config: Config): Device => {
  if (device !== undefined) return device
  // Names of our own, so another tab's worker is never heard.
  const id = crypto.randomUUID()
  const workerConfig: WorkerConfig = {
    channel: config.channel,
    trustedKeys: config.trustedKeys,
    chatModel: config.chatModel,
    deviceId: deviceId(),
    control: `edgeline-triage-control-${id}`,
    status: `edgeline-triage-status-${id}`,
  }
  const worker = new Worker(new URL("../../workers/triage.worker.ts", import.meta.url), {
    type: "module",
    name: JSON.stringify(workerConfig),
  })
  const listeners = new Set<(status: StatusEvent) => void>()
  // Each call waits for the worker's READY on its own timer, cleared when it
  // comes: a worker that is slow to start fails only the calls that gave up
  // on it, and a late READY still serves every call after it.
  let started = false
  const waiting = new Set<() => void>()
  const ready = (): Promise<void> =>
    started
      ? Promise.resolve()
      : new Promise((resolve, reject) => {
          const done = () => {
            clearTimeout(timer)
            resolve()
          }
          const timer = setTimeout(() => {
            waiting.delete(done)
            reject(new Error("the triage worker did not start within a minute: reload the page"))
          }, 60_000)
          waiting.add(done)
        })
  // Made before the worker, so its first messages are heard.
  const statuses = new BroadcastChannel(workerConfig.status)
  statuses.onmessage = ({ data }) => {
    if ((data as { _tag?: unknown })._tag === READY._tag) {
      started = true
      for (const done of waiting) done()
      waiting.clear()
      return
    }
    for (const listener of listeners) listener(data as StatusEvent)
  }
  const remote = Comlink.wrap<Control>(new BroadcastChannel(workerConfig.control))
  device = {
    runner: connectWorker<TriagePipeline>(worker),
    control: {
      models: () => ready().then(() => remote.models()),
      update: () => ready().then(() => remote.update()),
      rollback: (name) => ready().then(() => remote.rollback(name)),
      setThreshold: (threshold) => ready().then(() => remote.setThreshold(threshold)),
      tokens: (text) => ready().then(() => remote.tokens(text)),
    },
    onStatus: (listener) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
  return device
}
