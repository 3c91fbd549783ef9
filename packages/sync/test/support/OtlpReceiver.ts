/**
 * An OpenTelemetry collector's OTLP/HTTP metrics intake, as small as a test
 * needs: `POST /v1/metrics` with a JSON body (OTLP's JSON encoding) on a
 * free loopback port, each export kept with its headers. It answers 200
 * with an empty `ExportMetricsServiceResponse`, or `status` when set (to
 * play a collector that refuses). With `cors`, pages of any origin may
 * post (a collector configured for browsers allows their origin).
 *
 * Written against the OTLP/HTTP spec rather than a collector binary: the
 * OpenTelemetry Collector is not a Debian package, and this is the whole of
 * what the exporter talks to.
 */
import { createServer, type IncomingHttpHeaders } from "node:http"
import type { AddressInfo } from "node:net"
import type { MetricsRequest } from "./OtlpJson.js"

export * from "./OtlpJson.js"

export interface Export {
  readonly headers: IncomingHttpHeaders
  /** The decoded ExportMetricsServiceRequest. */
  readonly body: MetricsRequest
}

export interface OtlpReceiver {
  /** The metrics endpoint, e.g. http://127.0.0.1:41234/v1/metrics */
  readonly url: string
  readonly exports: Array<Export>
  /** Requests other than a JSON POST to /v1/metrics, as "METHOD path content-type". */
  readonly refused: Array<string>
  /** The status of the next answers (default 200). */
  status: number
  readonly close: () => Promise<void>
}

export const start = async (options: { readonly cors?: boolean } = {}): Promise<OtlpReceiver> => {
  const exports: Array<Export> = []
  const refused: Array<string> = []
  const receiver = { status: 200 }
  const server = createServer(async (req, res) => {
    const chunks: Array<Buffer> = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    if (options.cors) {
      res.setHeader("access-control-allow-origin", "*")
      if (req.method === "OPTIONS") {
        res.writeHead(204, {
          "access-control-allow-methods": "POST",
          "access-control-allow-headers": req.headers["access-control-request-headers"] ?? "",
          "access-control-max-age": "600",
        })
        return res.end()
      }
    }
    const type = req.headers["content-type"] ?? ""
    if (
      req.method !== "POST" ||
      req.url !== "/v1/metrics" ||
      !type.startsWith("application/json")
    ) {
      refused.push(`${req.method} ${req.url} ${type}`)
      res.writeHead(415, { "content-type": "text/plain" })
      return res.end("OTLP/HTTP JSON metrics only")
    }
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as MetricsRequest
    exports.push({ headers: req.headers, body })
    res.writeHead(receiver.status, { "content-type": "application/json" })
    res.end(receiver.status === 200 ? "{}" : '{"code":3,"message":"refused by the test"}')
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}/v1/metrics`,
    exports,
    refused,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  })
}
