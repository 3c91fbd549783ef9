/**
 * Metrics from Chromium to an OpenTelemetry collector: `TelemetryMetrics`
 * and `OtlpMetricsExport` run in the page, unchanged from Node, and post
 * OTLP/HTTP JSON with the browser's own `fetch` to a real intake on another
 * origin (started by a browser command in Node, CORS allowed), whose
 * received bodies the test reads back.
 */
import { Telemetry } from "@edgeline/core"
import { Effect, Layer, Metric } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { commands } from "vitest/browser"
import { OtlpMetricsExport, TelemetryMetrics } from "../../src/index.js"
import * as OtlpJson from "../support/OtlpJson.js"

afterEach(() => commands.stopOtlpReceiver())

describe("metrics to an OpenTelemetry collector, from a browser", () => {
  it("a counter and a confidence recorded in the page arrive with their values and attributes", async () => {
    const url = await commands.startOtlpReceiver()
    expect(new URL(url).origin).not.toBe(location.origin)
    const program = Effect.gen(function* () {
      yield* Telemetry.count("escalations", 2, { model: "triage", reason: "unsure" })
      yield* Telemetry.record({ kind: "sample", name: "confidence", value: 0.42 })
      yield* OtlpMetricsExport.flush
    })
    const layer = Layer.merge(
      TelemetryMetrics.layer(),
      OtlpMetricsExport.layer({
        url,
        serviceName: "edgeline-browser",
        attributes: { "device.id": "browser-1" },
        headers: { authorization: "Bearer collector-token" },
      }),
    ).pipe(Layer.provide(Layer.succeed(Metric.MetricRegistry, new Map())))
    await Effect.runPromise(Effect.provide(program, layer))

    const { exports, refused } = await commands.otlpReceived()
    expect(refused).toEqual([])
    expect(exports.length).toBeGreaterThanOrEqual(1)
    const [first] = exports
    expect(first!.headers.authorization).toBe("Bearer collector-token")
    expect(
      OtlpJson.attributesOf(first!.body.resourceMetrics[0]!.resource.attributes),
    ).toMatchObject({ "service.name": "edgeline-browser", "device.id": "browser-1" })
    expect(OtlpJson.sumPoints(first!.body, "escalations")).toEqual([
      { attributes: { model: "triage", reason: "unsure" }, value: 2 },
    ])
    expect(OtlpJson.histogramOf(first!.body, "confidence")?.dataPoints[0]).toMatchObject({
      count: 1,
      sum: 0.42,
    })
  })
})
