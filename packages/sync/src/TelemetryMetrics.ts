/**
 * Core's `Telemetry` as Effect metrics, so what a device counts can go to
 * any metrics backend (`OtlpMetricsExport` sends them to an OpenTelemetry
 * collector): a counter event adds its value to the monotonic counter of
 * its name and attributes; a sample with a numeric `value` (a confidence,
 * a latency) is observed by the histogram of its name. Samples that carry
 * only a payload (an escalated message and its label) are not metrics: they
 * go to `forward` alone, e.g. the outbox, which uploads them for training.
 *
 * Metrics are aggregates held in memory; the outbox stays the durable,
 * exactly-counted record. Recording to both is the usual setup:
 *
 *   const telemetry = yield* TelemetryMetrics.make({ forward: outbox.telemetry })
 */
import { Telemetry } from "@edgeline/core"
import { Effect, Layer, Metric } from "effect"

export interface Options {
  /** Every event is also recorded here (e.g. `Outbox.telemetry`), payload samples included. */
  readonly forward?: Telemetry.Shape | undefined
  /**
   * Upper bounds of the histograms' buckets (default 0.1, 0.2, …, 1: for
   * confidences). A value above the last bound counts in an overflow bucket.
   */
  readonly boundaries?: ReadonlyArray<number> | undefined
}

/** Buckets for values in [0, 1], the confidences most samples carry. */
export const defaultBoundaries: ReadonlyArray<number> = [
  0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1,
]

/** Metric attributes are strings: numbers and booleans are written as they print. */
const attributesOf = (attributes: Telemetry.Attributes | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(attributes ?? {}).map(([k, v]) => [k, String(v)]))

const keyOf = (name: string, attributes: Record<string, string>) =>
  `${name}\u0000${JSON.stringify(Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : 1)))}`

/**
 * Telemetry that updates metrics in the `MetricRegistry` of the context it
 * is made in, wherever `record` is later called from (a pipeline runner
 * counts its stages in a registry of its own): build it beside the exporter
 * that reads them. `record` never fails, as the spec requires.
 */
export const make = (options: Options = {}): Effect.Effect<Telemetry.Shape> =>
  Effect.gen(function* () {
    const registry = yield* Metric.MetricRegistry
    const boundaries = options.boundaries ?? defaultBoundaries
    const counters = new Map<string, Metric.Counter<number>>()
    const histograms = new Map<string, Metric.Histogram<number>>()

    const counter = (name: string, attributes: Record<string, string>) => {
      const key = keyOf(name, attributes)
      let metric = counters.get(key)
      if (metric === undefined) {
        // Incremental: a monotonic sum, which backends read as a counter (a negative increment is ignored).
        metric = Metric.counter(name, { attributes, incremental: true })
        counters.set(key, metric)
      }
      return metric
    }
    const histogram = (name: string, attributes: Record<string, string>) => {
      const key = keyOf(name, attributes)
      let metric = histograms.get(key)
      if (metric === undefined) {
        metric = Metric.histogram(name, { attributes, boundaries })
        histograms.set(key, metric)
      }
      return metric
    }

    const observe = (event: Telemetry.Input): Effect.Effect<void> => {
      const attributes = attributesOf(event.attributes)
      if (event.kind === "counter") {
        return Metric.update(counter(event.name, attributes), event.value ?? 1)
      }
      if (typeof event.value === "number" && Number.isFinite(event.value)) {
        return Metric.update(histogram(event.name, attributes), event.value)
      }
      return Effect.void
    }

    const forward = options.forward
    return {
      record: (event) => {
        const measured = Effect.provideService(observe(event), Metric.MetricRegistry, registry)
        return forward === undefined ? measured : Effect.andThen(measured, forward.record(event))
      },
    } satisfies Telemetry.Shape
  })

/** `make` as the `Telemetry` service. */
export const layer = (options: Options = {}): Layer.Layer<Telemetry.Telemetry> =>
  Layer.effect(Telemetry.Telemetry, make(options))
