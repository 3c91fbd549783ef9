// What the Node side (the global setup, the browser commands) hands the
// browser tests, typed once for both sides: no Node type in here, so the
// browser tests' typecheck (no Node types) can read it.
import type { Signature } from "../../../src/index.js"
import type { MetricsRequest } from "../../support/OtlpJson.js"

export interface ModelFile {
  readonly path: string
  readonly sha256: string
  readonly size: number
  readonly version: string
}

export interface Registry {
  /** The dev server's base URL. */
  readonly url: string
  /** The registry directory, and the private key file that signs its manifests. */
  readonly directory: string
  readonly keyPath: string
  readonly publicKey: Signature.PublicKey
  /** The channel the setup published `v1` on. */
  readonly channel: string
  /** The model's name in the registry. */
  readonly name: string
  /** Silero VAD v5 (5.0.0), and a retrained 5.1.0: its last 20 KB changed. */
  readonly v1: ModelFile
  readonly v2: ModelFile
  readonly telemetry: {
    readonly endpoint: string
    readonly token: string
    /** The ingest's JSONL file (`readJsonLines`). */
    readonly file: string
  }
}

export interface PublishOptions {
  readonly directory: string
  readonly keyPath: string
  /** The model file. */
  readonly model: string
  readonly name: string
  readonly version: string
  readonly channel: string
}

/** What a publish wrote: the manifest's version and the model's chunks. */
export interface Published {
  readonly manifest: number
  readonly chunks: ReadonlyArray<{ readonly sha256: string; readonly size: number }>
}

/** One export an OTLP intake received: its headers (lower-case names) and decoded body. */
export interface OtlpExport {
  readonly headers: Readonly<Record<string, string>>
  readonly body: MetricsRequest
}

declare module "vitest" {
  interface ProvidedContext {
    syncRegistry: Registry
  }
}

declare module "vitest/browser" {
  interface BrowserCommands {
    publish(options: PublishOptions): Promise<Published>
    readJsonLines(path: string): Promise<Array<unknown>>
    startRequestLog(): Promise<void>
    requestLog(): Promise<Array<string>>
    overrideQuota(origin: string, bytes: number | undefined): Promise<void>
    freshPage(url: string): Promise<unknown>
    startOtlpReceiver(): Promise<string>
    otlpReceived(): Promise<{ exports: Array<OtlpExport>; refused: Array<string> }>
    stopOtlpReceiver(): Promise<void>
  }
}
