/**
 * What the triage worker and the page say to each other beside the
 * pipeline (which `serveWorker` carries on the worker's own port): the sync
 * controls, over comlink on a BroadcastChannel, and the sync client's status
 * events, as plain objects on a second one.
 */

import type { SyncClient } from "@edgeline/sync"

/** The model the triage pipeline runs, as the dev registry names it (server/DevRegistry.ts). */
export const TRIAGE_MODEL = "message-triage"

/** What the worker needs from the page, in its `name` (as JSON). */
export interface WorkerConfig {
  readonly channel: string
  readonly trustedKeys: ReadonlyArray<unknown>
  readonly chatModel: string
  /** A stable id of this browser: its place in staged rollouts. */
  readonly deviceId: string
  /** The BroadcastChannel names: comlink calls, and status events. */
  readonly control: string
  readonly status: string
}

export interface InstalledVersion {
  readonly version: string
  readonly sha256: string
  readonly size: number
  readonly activated: string
  readonly threshold?: number | undefined
}

export interface OfferedVersion {
  readonly name: string
  readonly version: string
  readonly size: number
  readonly threshold?: number | undefined
}

export interface ModelsView {
  /** Per model on this device: its active version and the one rollback returns to. */
  readonly installed: Readonly<
    Record<
      string,
      { readonly active: InstalledVersion; readonly previous?: InstalledVersion | undefined }
    >
  >
  /** The manifest the registry offers (verified), as last read; `offeredError` says why it could not be read now. */
  readonly offered?:
    | { readonly version: number; readonly models: ReadonlyArray<OfferedVersion> }
    | undefined
  readonly offeredError?: string | undefined
  /** The models the pipelines here ask sync for. */
  readonly wanted: ReadonlyArray<string>
  /** Where the running triage model came from: sync's store, or the copy bundled with the page (offline before any sync). */
  readonly serving: "sync" | "bundled" | "starting"
  /** Why triage runs the bundled copy (serving "bundled"): what ensuring a synced one met. */
  readonly bundledBecause?: string | undefined
  /** Why sync is off on this device: its store (IndexedDB) could not be opened. */
  readonly storeError?: string | undefined
}

export interface Outcome {
  readonly ok: boolean
  readonly message: string
}

/** The sync controls the worker serves. */
export interface Control {
  readonly models: () => Promise<ModelsView>
  /** Checks the registry; downloads and activates what changed. */
  readonly update: () => Promise<Outcome>
  readonly rollback: (name: string) => Promise<Outcome>
  /** The escalation threshold live runs use (the slider's). */
  readonly setThreshold: (threshold: number) => Promise<void>
  /** Tokens of a text as the cloud counts them (o200k_base). */
  readonly tokens: (text: string) => Promise<number>
}

/**
 * Posted on the status channel once the controls are served: a
 * BroadcastChannel keeps nothing for a listener that is not there yet, so
 * the page waits for it before its first call.
 */
export const READY = { _tag: "Ready" } as const

/** The sync client's status events as a structured clone carries them: a failure's error as its message. */
export type StatusEvent =
  | Exclude<SyncClient.Status, { readonly _tag: "CheckFailed" }>
  | { readonly _tag: "CheckFailed"; readonly message: string }
