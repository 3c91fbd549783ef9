/**
 * Runs in Node before the browser tests: the reference cloud tier
 * (`@edgeline/cloud-server`, the message-triage teacher) on loopback, behind
 * a test-only CORS proxy, so the CloudModel client can call it from a Web
 * Worker.
 *
 * The proxy exists because cloud-server sends no CORS headers (an OPTIONS
 * preflight gets 405), so a browser may not read its answers from another
 * origin. It answers preflights and adds `Access-Control-Allow-*` to every
 * forwarded answer; it changes nothing else.
 */
import { createServer, request as forward } from "node:http"
import type { AddressInfo } from "node:net"
import { CloudServer, defaultModels } from "@edgeline/cloud-server"
import type { TestProject } from "vitest/node"

export interface CloudTier {
  /** The API base through the CORS proxy, `http://127.0.0.1:<port>/v1`. */
  readonly baseUrl: string
  /** A loopback URL where nothing listens: the cloud unreachable. */
  readonly unreachableUrl: string
  readonly model: string
}

declare module "vitest" {
  interface ProvidedContext {
    cloudTier: CloudTier
  }
}

const cors = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, POST, OPTIONS",
  "access-control-allow-headers": "authorization, content-type, accept",
  "access-control-expose-headers": "retry-after, retry-after-ms",
  "access-control-max-age": "600",
}

const listen = (server: ReturnType<typeof createServer>) =>
  new Promise<number>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)),
  )

const close = (server: ReturnType<typeof createServer>) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  })

export default async function setup(project: TestProject) {
  const models = await defaultModels()
  const tier = await CloudServer.start({ models })
  const proxy = createServer((req, res) => {
    if (req.method === "OPTIONS") {
      res.writeHead(204, cors).end()
      return
    }
    const upstream = forward(
      { host: tier.host, port: tier.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, { ...answer.headers, ...cors })
        answer.pipe(res)
      },
    )
    upstream.on("error", (e) => res.writeHead(502, cors).end(String(e)))
    req.pipe(upstream)
  })
  const port = await listen(proxy)
  const nothing = createServer()
  const unreachablePort = await listen(nothing)
  await close(nothing)
  project.provide("cloudTier", {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    unreachableUrl: `http://127.0.0.1:${unreachablePort}/v1`,
    model: models[0]!.id,
  })
  return async () => {
    await close(proxy)
    await tier.close()
  }
}
