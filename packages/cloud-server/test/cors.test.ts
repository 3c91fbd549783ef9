/**
 * Cross-origin access: off by default; on, preflights are answered (without
 * auth) and every answer, errors included, carries the origin it allows.
 */
import { afterEach, describe, expect, it } from "vitest"
import { CloudServer } from "../src/index.js"
import { gated, keywordTriage } from "./support/classifiers.js"

const started: Array<{ close: () => Promise<void> }> = []
afterEach(async () => {
  for (const s of started.splice(0)) await s.close()
})
const start = async (options: Partial<CloudServer.Options>) => {
  const server = await CloudServer.start({ models: [keywordTriage], ...options })
  started.push(server)
  return server
}
const preflight = (url: string, origin: string) =>
  fetch(`${url}/v1/chat/completions`, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization, content-type",
    },
  })
const chat = (url: string, origin: string, key?: string) =>
  fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: {
      origin,
      "content-type": "application/json",
      ...(key ? { authorization: `Bearer ${key}` } : {}),
    },
    body: JSON.stringify({
      model: "keyword-triage",
      messages: [{ role: "user", content: "a prize!" }],
    }),
  })

describe("cors", () => {
  it("is off by default: no preflight, no allow-origin header", async () => {
    const server = await start({})
    expect((await preflight(server.url, "http://app.example")).status).toBe(405)
    const response = await chat(server.url, "http://app.example")
    expect(response.status).toBe(200)
    expect(response.headers.get("access-control-allow-origin")).toBeNull()
  })

  it("true: answers preflights without auth and lets any origin read answers and errors", async () => {
    const server = await start({ cors: true, apiKeys: ["k"] })
    const pre = await preflight(server.url, "http://app.example")
    expect(pre.status).toBe(204)
    expect(pre.headers.get("access-control-allow-origin")).toBe("*")
    expect(pre.headers.get("access-control-allow-methods")).toContain("POST")
    expect(pre.headers.get("access-control-allow-headers")).toBe("authorization, content-type")
    const ok = await chat(server.url, "http://app.example", "k")
    expect(ok.status).toBe(200)
    expect(ok.headers.get("access-control-allow-origin")).toBe("*")
    const refused = await chat(server.url, "http://app.example", "wrong")
    expect(refused.status).toBe(401)
    expect(refused.headers.get("access-control-allow-origin")).toBe("*")
  })

  it("lets a browser read Retry-After on a 429, so its client backs off as told", async () => {
    const held = gated("keyword-triage")
    const server = await start({ models: [held.model], cors: true, maxConcurrent: 1 })
    const first = chat(server.url, "http://app.example")
    await held.entered()
    const limited = await chat(server.url, "http://app.example")
    expect(limited.status).toBe(429)
    expect(limited.headers.get("access-control-allow-origin")).toBe("*")
    expect(limited.headers.get("access-control-expose-headers")).toContain("retry-after")
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0)
    held.release()
    expect((await first).status).toBe(200)
  })

  it("a list: only those origins, echoed, with Vary: Origin", async () => {
    const server = await start({ cors: { origins: ["http://app.example"] } })
    const allowed = await chat(server.url, "http://app.example")
    expect(allowed.headers.get("access-control-allow-origin")).toBe("http://app.example")
    expect(allowed.headers.get("vary")).toBe("Origin")
    const other = await chat(server.url, "http://evil.example")
    expect(other.status).toBe(200)
    expect(other.headers.get("access-control-allow-origin")).toBeNull()
  })
})
