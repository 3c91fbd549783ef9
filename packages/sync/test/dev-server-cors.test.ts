/**
 * The dev server's opt-in CORS, as a browser sees it from another origin:
 * preflights answered without a token, the allowed origin on every answer
 * (errors included), and the headers the client reads (ETag,
 * Content-Range) exposed. The browser tests run the real client through it.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { DevServer } from "../src/node/index.js"

const TOKEN = "device-secret"
const APP = "http://app.example"
const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const server = async (cors?: DevServer.CorsOptions) => {
  const dir = await mkdtemp(join(tmpdir(), "edgeline-cors-"))
  await mkdir(join(dir, "channels"))
  await writeFile(join(dir, "channels", "stable.json"), "0123456789")
  const started = await DevServer.start({
    directory: dir,
    cors,
    telemetry: { file: join(dir, "telemetry.jsonl"), tokens: [TOKEN] },
  })
  cleanups.push(async () => {
    await started.close()
    await rm(dir, { recursive: true, force: true })
  })
  return started
}

const preflight = (url: string, origin: string, headers: string) =>
  fetch(url, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": "POST",
      "access-control-request-headers": headers,
    },
  })

describe("DevServer cors", () => {
  it("is off by default: no CORS header, and a preflight is refused like any other method", async () => {
    const dev = await server()
    const get = await fetch(`${dev.url}channels/stable.json`, { headers: { origin: APP } })
    expect(get.status).toBe(200)
    expect(get.headers.get("access-control-allow-origin")).toBeNull()
    const options = await preflight(`${dev.url}channels/stable.json`, APP, "if-none-match")
    expect(options.status).toBe(405)
    expect(options.headers.get("access-control-allow-origin")).toBeNull()
  })

  it("true: answers preflights without a token and marks every answer, errors included", async () => {
    const dev = await server(true)
    const options = await preflight(
      `${dev.url}v1/telemetry`,
      APP,
      "authorization, content-type, idempotency-key",
    )
    expect(options.status).toBe(204)
    expect(options.headers.get("access-control-allow-origin")).toBe("*")
    expect(options.headers.get("access-control-allow-methods")).toContain("POST")
    expect(options.headers.get("access-control-allow-headers")).toBe(
      "authorization, content-type, idempotency-key",
    )
    const ranged = await fetch(`${dev.url}channels/stable.json`, {
      headers: { origin: APP, range: "bytes=4-" },
    })
    expect(ranged.status).toBe(206)
    expect(await ranged.text()).toBe("456789")
    expect(ranged.headers.get("access-control-allow-origin")).toBe("*")
    const exposed = ranged.headers.get("access-control-expose-headers") ?? ""
    expect(exposed).toContain("etag")
    expect(exposed).toContain("content-range")
    const etag = ranged.headers.get("etag")!
    const again = await fetch(`${dev.url}channels/stable.json`, {
      headers: { origin: APP, "if-none-match": etag },
    })
    expect(again.status).toBe(304)
    expect(again.headers.get("access-control-allow-origin")).toBe("*")
    const missing = await fetch(`${dev.url}blobs/nothing`, { headers: { origin: APP } })
    expect(missing.status).toBe(404)
    expect(missing.headers.get("access-control-allow-origin")).toBe("*")
    const unauthorised = await fetch(`${dev.url}v1/telemetry`, {
      method: "POST",
      headers: { origin: APP, "content-type": "application/json" },
      body: "{}",
    })
    expect(unauthorised.status).toBe(401)
    expect(unauthorised.headers.get("access-control-allow-origin")).toBe("*")
    expect(dev.stats().events).toBe(0)
  })

  it("a list: echoes an allowed origin with Vary: Origin, and gives another origin nothing", async () => {
    const dev = await server({ origins: [APP] })
    const allowed = await fetch(`${dev.url}channels/stable.json`, { headers: { origin: APP } })
    expect(allowed.headers.get("access-control-allow-origin")).toBe(APP)
    expect(allowed.headers.get("vary")).toBe("Origin")
    const other = await fetch(`${dev.url}channels/stable.json`, {
      headers: { origin: "http://evil.example" },
    })
    expect(other.headers.get("access-control-allow-origin")).toBeNull()
    expect(other.headers.get("vary")).toBe("Origin")
    const otherPreflight = await preflight(
      `${dev.url}v1/telemetry`,
      "http://evil.example",
      "authorization",
    )
    expect(otherPreflight.status).toBe(204)
    expect(otherPreflight.headers.get("access-control-allow-origin")).toBeNull()
  })
})
