/** What a served worker exposes over comlink, and what crosses the wire; internal to the transport. */
import type * as Pipeline from "../Pipeline.js"
import type * as Progress from "../Progress.js"
import type { Observer } from "../Runner.js"

export interface SerializedError {
  readonly _tag: string
  readonly message: string
  readonly fields: Record<string, unknown>
}

export type Wire =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: SerializedError }

export interface WorkerApi {
  load(call: number, onProgress?: Progress.Listener): Promise<Wire>
  run(call: number, input: unknown, onProgress?: Progress.Listener): Promise<Wire>
  open(session: number): void
  push(call: number, session: number, input: unknown, onProgress?: Progress.Listener): Promise<Wire>
  end(call: number, session: number): Promise<Wire>
  /** Drops a stream without flushing it. */
  closeStream(session: number): Promise<void>
  cancel(call: number): void
  timings(): Promise<Array<Pipeline.StageTiming>>
  /** Pushes snapshots to `observer` (a comlink proxy, released on `unobserve` or close); returns its id. */
  observe(observer: Observer, intervalMs: number | undefined): number
  unobserve(observer: number): void
  close(): Promise<void>
}
