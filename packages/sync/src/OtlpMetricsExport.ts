/**
 * Sends the Effect metrics of a device (its pipelines' stage timings,
 * escalations and condense savings, and the counters `TelemetryMetrics`
 * makes of its telemetry) to an OpenTelemetry collector over OTLP/HTTP,
 * every `intervalMs` and once more when the layer's scope closes.
 *
 * It is effect's own exporter (`OtlpMetrics` in `effect/observability`)
 * over `fetch` (`FetchHttpClient`), so it runs in browsers, workers and
 * Node alike. It reads the `MetricRegistry` of the context it is built in:
 * give it in the same Layer as the pipeline (a runner's layer sees the
 * runner's registry) and as `TelemetryMetrics`.
 *
 * Metrics are optional and lossy by design: an export that fails is retried
 * a few times, then the exporter waits a minute. Cumulative temporality
 * (the default) loses no count across such a gap, since each export carries
 * the totals since the start.
 */
import { Duration, type Effect, Layer } from "effect"
import { FetchHttpClient } from "effect/http"
import { OtlpExporter, OtlpMetrics, OtlpSerialization } from "effect/observability"

export interface Options {
  /** The collector's metrics endpoint, e.g. http://127.0.0.1:4318/v1/metrics. */
  readonly url: string
  /** `service.name` of the resource (default "edgeline"; OTLP requires one). */
  readonly serviceName?: string | undefined
  readonly serviceVersion?: string | undefined
  /** More resource attributes, e.g. `{ "device.id": deviceId }`. */
  readonly attributes?: Readonly<Record<string, string | number | boolean>> | undefined
  /** Sent with every export, e.g. `{ authorization: "Bearer …" }`. */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** Time between exports (default 60 s). */
  readonly intervalMs?: number | undefined
  /** Totals since the start (`"cumulative"`, default) or changes since the last export (`"delta"`). */
  readonly temporality?: "cumulative" | "delta" | undefined
  /** OTLP's JSON encoding (default) or protobuf, for collectors that take only that. */
  readonly encoding?: "json" | "protobuf" | undefined
  /** Longest wait for the last export when the scope closes (default 3 s). */
  readonly shutdownTimeoutMs?: number | undefined
}

/** The exporter, running until the layer's scope closes; its `Flusher` exports now. */
export const layer = (options: Options): Layer.Layer<OtlpExporter.Flusher> =>
  OtlpMetrics.layer({
    url: options.url,
    resource: {
      serviceName: options.serviceName ?? "edgeline",
      serviceVersion: options.serviceVersion,
      attributes: { ...options.attributes },
    },
    headers: options.headers,
    exportInterval: Duration.millis(options.intervalMs ?? 60_000),
    shutdownTimeout: Duration.millis(options.shutdownTimeoutMs ?? 3_000),
    temporality: options.temporality,
  }).pipe(
    Layer.provide(
      options.encoding === "protobuf"
        ? OtlpSerialization.layerProtobuf
        : OtlpSerialization.layerJson,
    ),
    Layer.provide(FetchHttpClient.layer),
  )

/** Exports the metrics now (e.g. before a page is hidden or a worker suspended). */
export const flush: Effect.Effect<void, never, OtlpExporter.Flusher> = OtlpExporter.Flusher.use(
  (flusher) => flusher.flush,
)
