/**
 * Metrics to an OpenTelemetry collector: `TelemetryMetrics` turns
 * telemetry into Effect metrics and `OtlpMetricsExport` sends them, with a
 * pipeline runner's own stage metrics, as OTLP/HTTP JSON to a real HTTP
 * intake on loopback (test/support/OtlpReceiver.ts), whose received bodies
 * are what the assertions read.
 */
import { createRunner, Escalate, Pipeline, Telemetry } from "@edgeline/core"
import { Effect, Layer, Metric } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { OtlpMetricsExport, Outbox, TelemetryMetrics } from "../src/index.js"
import * as OtlpReceiver from "./support/OtlpReceiver.js"

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const receiver = async () => {
  const started = await OtlpReceiver.start()
  cleanups.push(() => started.close())
  return started
}

/** Telemetry as metrics and their exporter, on a registry of their own (not the process's). */
const exporting = (
  url: string,
  options: { forward?: Telemetry.Shape; more?: Partial<OtlpMetricsExport.Options> } = {},
) =>
  Layer.merge(
    TelemetryMetrics.layer({ forward: options.forward }),
    OtlpMetricsExport.layer({ url, ...options.more }),
  ).pipe(Layer.provide(Layer.succeed(Metric.MetricRegistry, new Map())))

describe("metrics to an OpenTelemetry collector", () => {
  it("telemetry counters and sample values arrive with their names, values and attributes; payload samples go to the outbox only", async () => {
    const collector = await receiver()
    const outbox = await Effect.runPromise(
      Outbox.make({
        endpoint: "http://127.0.0.1:9/v1/telemetry",
        deviceId: "device-7",
        storage: Outbox.memoryStorage(),
      }),
    )
    const program = Effect.gen(function* () {
      for (let i = 0; i < 3; i++) {
        yield* Telemetry.count("escalations", 1, { model: "triage", reason: "unsure" })
      }
      yield* Telemetry.count("escalations", 2, { model: "triage", reason: "offline" })
      yield* Telemetry.record({
        kind: "sample",
        name: "confidence",
        value: 0.35,
        attributes: { model: "triage", quantized: true },
      })
      yield* Telemetry.record({
        kind: "sample",
        name: "confidence",
        value: 0.95,
        attributes: { model: "triage", quantized: true },
      })
      yield* Telemetry.sample("hard-example", { text: "refund me", label: "billing" })
      yield* OtlpMetricsExport.flush
    })
    await Effect.runPromise(
      Effect.provide(
        program,
        exporting(collector.url, {
          forward: outbox.telemetry,
          more: {
            serviceName: "edgeline-device",
            serviceVersion: "1.2.3",
            attributes: { "device.id": "device-7" },
            headers: { authorization: "Bearer collector-token" },
          },
        }),
      ),
    )

    expect(collector.refused).toEqual([])
    // The flush, then the last export as the layer closed.
    expect(collector.exports).toHaveLength(2)
    const [flushed] = collector.exports
    expect(flushed!.headers.authorization).toBe("Bearer collector-token")
    expect(flushed!.headers["content-type"]).toMatch(/^application\/json/)
    const resource = OtlpReceiver.attributesOf(
      flushed!.body.resourceMetrics[0]!.resource.attributes,
    )
    expect(resource).toMatchObject({
      "service.name": "edgeline-device",
      "service.version": "1.2.3",
      "device.id": "device-7",
    })

    const escalations = OtlpReceiver.metricsOf(flushed!.body).find((m) => m.name === "escalations")
    // A monotonic cumulative sum: what a backend shows as a counter.
    expect(escalations?.sum).toMatchObject({ isMonotonic: true, aggregationTemporality: 2 })
    expect(OtlpReceiver.sumPoints(flushed!.body, "escalations")).toEqual(
      expect.arrayContaining([
        { attributes: { model: "triage", reason: "unsure" }, value: 3 },
        { attributes: { model: "triage", reason: "offline" }, value: 2 },
      ]),
    )
    expect(OtlpReceiver.sumPoints(flushed!.body, "escalations")).toHaveLength(2)

    const confidence = OtlpReceiver.histogramOf(flushed!.body, "confidence")
    expect(confidence?.dataPoints).toHaveLength(1)
    const point = confidence!.dataPoints[0]!
    expect(OtlpReceiver.attributesOf(point.attributes)).toEqual({
      model: "triage",
      quantized: "true",
    })
    expect(point.count).toBe(2)
    expect(point.sum).toBeCloseTo(1.3)
    expect(point.explicitBounds).toEqual([...TelemetryMetrics.defaultBoundaries])
    // 0.35 in (0.3, 0.4], 0.95 in (0.9, 1]; plus the overflow bucket.
    expect(point.bucketCounts).toEqual([0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0])

    expect(OtlpReceiver.metricsOf(flushed!.body).map((m) => m.name)).not.toContain("hard-example")
    const queued = await Effect.runPromise(outbox.stats)
    expect(queued.queued).toBe(7)
  })

  it("a pipeline runner's own metrics (stage timings, escalation outcomes) and its telemetry arrive when the runner closes", async () => {
    const collector = await receiver()
    interface Message {
      readonly text: string
      readonly confidence: number
    }
    // No cloud here: every escalation fails, is answered locally as degraded, and is counted.
    const triage = Escalate.escalate<Message, string, Error, Telemetry.Telemetry>({
      name: "triage-cloud",
      local: () => "local-label",
      shouldEscalate: (m) => m.confidence < 0.9,
      ask: () => Effect.fail(new Error("the cloud is unreachable")),
      onDegraded: (item) => Telemetry.count("degraded_inputs", 1, { stage: item.stage }),
    })
    const runner = await createRunner(Pipeline.make("triage", triage), {
      // No registry given: the runner's own is where its stages count.
      layer: Layer.merge(
        TelemetryMetrics.layer(),
        OtlpMetricsExport.layer({ url: collector.url, serviceName: "edgeline-device" }),
      ),
    })
    expect((await runner.run({ text: "hello", confidence: 0.95 })).source).toBe("local")
    expect((await runner.run({ text: "refund?", confidence: 0.4 })).degraded).toBe(true)
    expect((await runner.run({ text: "cancel?", confidence: 0.3 })).degraded).toBe(true)
    expect(collector.exports).toHaveLength(0)
    await runner.close()

    expect(collector.exports).toHaveLength(1)
    const body = collector.exports[0]!.body
    expect(OtlpReceiver.sumPoints(body, "edgeline_escalations_total")).toEqual(
      expect.arrayContaining([
        { attributes: { stage: "triage-cloud", outcome: "local" }, value: 1 },
        { attributes: { stage: "triage-cloud", outcome: "degraded" }, value: 2 },
      ]),
    )
    expect(OtlpReceiver.sumPoints(body, "degraded_inputs")).toEqual([
      { attributes: { stage: "triage-cloud" }, value: 2 },
    ])
    const durations = OtlpReceiver.histogramOf(body, "edgeline_stage_duration")?.dataPoints ?? []
    expect(
      durations.map((p) => ({
        attributes: OtlpReceiver.attributesOf(p.attributes),
        count: p.count,
      })),
    ).toEqual([
      {
        attributes: expect.objectContaining({
          pipeline: "triage",
          stage: "triage-cloud",
          kind: "escalate",
        }),
        count: 3,
      },
    ])
  })

  it("a collector that refuses or is unreachable never fails telemetry or the export's caller", async () => {
    const collector = await receiver()
    collector.status = 400
    const recorded = Effect.gen(function* () {
      yield* Telemetry.count("escalations", 1)
      yield* OtlpMetricsExport.flush
      yield* Telemetry.count("escalations", 1)
      return "done"
    })
    expect(await Effect.runPromise(Effect.provide(recorded, exporting(collector.url)))).toBe("done")
    expect(collector.exports.length).toBeGreaterThanOrEqual(1)
    expect(OtlpReceiver.sumPoints(collector.exports[0]!.body, "escalations")).toEqual([
      { attributes: {}, value: 1 },
    ])
    // Nothing listens on port 9 (discard): the connection is refused at once.
    const unreachable = exporting("http://127.0.0.1:9/v1/metrics", {
      more: { shutdownTimeoutMs: 500 },
    })
    expect(
      await Effect.runPromise(
        Effect.provide(Effect.as(Telemetry.count("escalations", 1), "done"), unreachable),
      ),
    ).toBe("done")
  })

  it("encoding: protobuf sends OTLP's binary encoding", async () => {
    const collector = await receiver()
    await Effect.runPromise(
      Effect.provide(
        Effect.andThen(Telemetry.count("escalations", 1), OtlpMetricsExport.flush),
        exporting(collector.url, { more: { encoding: "protobuf" } }),
      ),
    )
    // This intake takes JSON only, so it lists what came (and refuses it).
    expect(collector.exports).toEqual([])
    expect(collector.refused[0]).toBe("POST /v1/metrics application/x-protobuf")
  })
})
