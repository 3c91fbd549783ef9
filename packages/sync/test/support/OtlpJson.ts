/**
 * The parts of OTLP's JSON encoding of metrics (an ExportMetricsServiceRequest)
 * that the tests read, and helpers to read them. No Node API: the browser
 * tests use it too.
 */
export interface KeyValue {
  readonly key: string
  readonly value: {
    readonly stringValue?: string
    readonly intValue?: string | number
    readonly doubleValue?: number
    readonly boolValue?: boolean
  }
}
export interface NumberPoint {
  readonly attributes: ReadonlyArray<KeyValue>
  readonly asDouble?: number
  readonly asInt?: string | number
}
export interface HistogramPoint {
  readonly attributes: ReadonlyArray<KeyValue>
  readonly count: number
  readonly sum: number
  readonly bucketCounts: ReadonlyArray<number>
  readonly explicitBounds: ReadonlyArray<number>
}
export interface Metric {
  readonly name: string
  readonly description?: string
  readonly sum?: {
    readonly dataPoints: ReadonlyArray<NumberPoint>
    readonly aggregationTemporality: number
    readonly isMonotonic: boolean
  }
  readonly histogram?: {
    readonly dataPoints: ReadonlyArray<HistogramPoint>
    readonly aggregationTemporality: number
  }
}
export interface MetricsRequest {
  readonly resourceMetrics: ReadonlyArray<{
    readonly resource: { readonly attributes: ReadonlyArray<KeyValue> }
    readonly scopeMetrics: ReadonlyArray<{ readonly metrics: ReadonlyArray<Metric> }>
  }>
}

/** Every metric of an export, whatever its resource and scope. */
export const metricsOf = (request: MetricsRequest): ReadonlyArray<Metric> =>
  request.resourceMetrics.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics))

/** OTLP attributes as a plain record of their values. */
export const attributesOf = (
  attributes: ReadonlyArray<KeyValue>,
): Record<string, string | number | boolean | undefined> =>
  Object.fromEntries(
    attributes.map(({ key, value }) => [
      key,
      value.stringValue ??
        value.doubleValue ??
        value.boolValue ??
        (value.intValue === undefined ? undefined : Number(value.intValue)),
    ]),
  )

/** The data points of the sum `name`, as { attributes, value }; undefined when there is no such metric. */
export const sumPoints = (request: MetricsRequest, name: string) =>
  metricsOf(request)
    .find((m) => m.name === name)
    ?.sum?.dataPoints.map((p) => ({
      attributes: attributesOf(p.attributes),
      value: p.asDouble ?? Number(p.asInt),
    }))

/** The histogram `name`, if the export has it. */
export const histogramOf = (request: MetricsRequest, name: string) =>
  metricsOf(request).find((m) => m.name === name)?.histogram
