/**
 * @edgeline/sync: model delivery for device fleets. This entry runs in
 * browsers, Web Workers and Node (`BrowserStore` and `BrowserOutboxStorage`
 * wherever IndexedDB is); Node's filesystem registry, store and
 * development server are in `@edgeline/sync/node`.
 */
export * as BrowserOutboxStorage from "./BrowserOutboxStorage.js"
export * as BrowserStore from "./BrowserStore.js"
export * as Chunking from "./Chunking.js"
export * as Content from "./Content.js"
export * as Download from "./Download.js"
export * as Drift from "./Drift.js"
export * from "./Errors.js"
export * as Layout from "./Layout.js"
export * as Manifest from "./Manifest.js"
export * as MemoryStore from "./MemoryStore.js"
export * as OtlpMetricsExport from "./OtlpMetricsExport.js"
export * as Outbox from "./Outbox.js"
export * as Rollout from "./Rollout.js"
export * as Signature from "./Signature.js"
export * as Store from "./Store.js"
export * as SyncClient from "./SyncClient.js"
export * as TelemetryMetrics from "./TelemetryMetrics.js"
