/**
 * The chaos proxy (test/support/ChaosProxy.ts) in front of a static origin
 * (test/support/StaticOrigin.ts), read with Node's own `fetch`: each fault
 * must reach a real HTTP client as the broken network it stands for, nothing
 * may change while faults are off, and a seed must replay its faults.
 */
import { createHash } from "node:crypto"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { Layout } from "@edgeline/sync"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as ChaosProxy from "./support/ChaosProxy.js"
import * as StaticOrigin from "./support/StaticOrigin.js"

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex")

/** Reproducible bytes that look random (an LCG's high bytes), so fixtures are the same every run. */
const bytesOf = (size: number, seed: number): Uint8Array<ArrayBuffer> => {
  const bytes = new Uint8Array(size)
  let state = seed >>> 0
  for (let i = 0; i < size; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    bytes[i] = state >>> 24
  }
  return bytes
}

const chunks = [bytesOf(65_536, 1), bytesOf(100_000, 2), bytesOf(1_024, 3)]
const blobUrls = chunks.map((bytes) => `/${Layout.blobPath(sha256(bytes))}`)
const manifestUrl = `/${Layout.manifestPath("stable")}`
// Pretty-printed with a final newline, as a publisher might write it.
const manifest = new TextEncoder().encode(
  `${JSON.stringify(
    {
      version: 12,
      expires: "2027-06-01T00:00:00Z",
      models: [
        {
          name: "triage",
          version: "1.4.0",
          chunks: chunks.map((bytes) => ({ sha256: sha256(bytes), size: bytes.length })),
        },
      ],
    },
    null,
    2,
  )}\n`,
)
const files = new Map<string, Uint8Array>([
  [manifestUrl, manifest],
  ...chunks.map((bytes, i) => [blobUrls[i]!, bytes] as const),
])
const [blob, bigBlob] = [blobUrls[0]!, blobUrls[1]!]

let origin: StaticOrigin.StaticOrigin
beforeAll(async () => {
  origin = await StaticOrigin.start(files)
})
afterAll(() => origin.close())

/** Runs `f` with a proxy in front of the origin, closed afterwards whatever happens. */
const withProxy = async <A>(
  seed: number,
  faults: ReadonlyArray<ChaosProxy.Rule>,
  f: (proxy: ChaosProxy.ChaosProxy) => Promise<A>,
): Promise<A> => {
  const proxy = await ChaosProxy.start({ target: origin.url, seed, faults })
  try {
    return await f(proxy)
  } finally {
    await proxy.close()
  }
}

/** The body as far as it arrives, and the error that ended it early, if any. */
const drain = async (response: Response): Promise<{ bytes: Uint8Array; error?: unknown }> => {
  const parts: Array<Uint8Array> = []
  const reader = response.body!.getReader()
  try {
    for (let part = await reader.read(); !part.done; part = await reader.read()) {
      parts.push(part.value)
    }
    return { bytes: new Uint8Array(Buffer.concat(parts)) }
  } catch (error) {
    return { bytes: new Uint8Array(Buffer.concat(parts)), error }
  }
}

/** Byte equality without vitest's element-by-element diff, which takes 0.25 s on 100 KB. */
const expectSame = (actual: Uint8Array, expected: Uint8Array) => {
  expect(actual.length).toBe(expected.length)
  expect(Buffer.compare(actual, expected)).toBe(0)
}

const contentLength = (response: Response) => Number(response.headers.get("content-length"))

/** A number from a log detail such as "at 1234 of 65536 bytes". */
const detailNumber = (detail: string, index = 0) => Number(detail.match(/\d+/g)![index])

describe("ChaosProxy with faults off", () => {
  it("passes bodies, statuses and headers unchanged and counts the bytes", async () => {
    await withProxy(1, [], async (proxy) => {
      let total = 0
      for (const [path, bytes] of files) {
        const [direct, proxied] = await Promise.all([
          fetch(origin.url + path),
          fetch(proxy.url + path),
        ])
        const body = new Uint8Array(await proxied.arrayBuffer())
        await direct.arrayBuffer()
        expect(proxied.status).toBe(200)
        expect(sha256(body)).toBe(sha256(bytes))
        for (const name of ["etag", "content-type", "content-length", "accept-ranges"]) {
          expect(proxied.headers.get(name)).toBe(direct.headers.get(name))
        }
        total += bytes.length
      }
      const missing = await fetch(`${proxy.url}/blobs/sha256/00/00`)
      expect(missing.status).toBe(404)
      total += (await missing.arrayBuffer()).byteLength

      const stats = proxy.stats()
      expect(stats.requests).toBe(files.size + 1)
      expect(stats.bytesServed).toBe(total)
      expect(Object.values(stats.injected)).toEqual([0, 0, 0, 0, 0, 0, 0])
      expect(stats.log).toEqual([])
    })
  })

  it("passes Range and If-None-Match requests and their answers", async () => {
    await withProxy(1, [], async (proxy) => {
      const file = files.get(bigBlob)!
      const ranged = async (range: string) => {
        const response = await fetch(proxy.url + bigBlob, { headers: { range } })
        return { response, body: new Uint8Array(await response.arrayBuffer()) }
      }
      const middle = await ranged("bytes=1000-4999")
      expect(middle.response.status).toBe(206)
      expect(middle.response.headers.get("content-range")).toBe(`bytes 1000-4999/${file.length}`)
      expectSame(middle.body, file.subarray(1000, 5000))
      const rest = await ranged("bytes=99000-")
      expect(rest.response.status).toBe(206)
      expectSame(rest.body, file.subarray(99_000))
      const suffix = await ranged("bytes=-10")
      expectSame(suffix.body, file.subarray(file.length - 10))
      const past = await ranged(`bytes=${file.length}-`)
      expect(past.response.status).toBe(416)
      expect(past.response.headers.get("content-range")).toBe(`bytes */${file.length}`)

      const first = await fetch(proxy.url + manifestUrl)
      await first.arrayBuffer()
      const etag = first.headers.get("etag")!
      const again = await fetch(proxy.url + manifestUrl, { headers: { "if-none-match": etag } })
      expect(again.status).toBe(304)
      expect(again.headers.get("etag")).toBe(etag)
      expect((await again.arrayBuffer()).byteLength).toBe(0)

      const head = await fetch(proxy.url + bigBlob, { method: "HEAD" })
      expect(head.status).toBe(200)
      expect(contentLength(head)).toBe(file.length)

      // What the origin saw: the client's conditional and range headers.
      const seen = origin.received.slice(-7)
      expect(seen.map((r) => r.headers.range)).toEqual([
        "bytes=1000-4999",
        "bytes=99000-",
        "bytes=-10",
        `bytes=${file.length}-`,
        undefined,
        undefined,
        undefined,
      ])
      expect(seen[5]!.headers["if-none-match"]).toBe(etag)
      expect(seen[6]!.method).toBe("HEAD")
      expect(proxy.stats().bytesServed).toBe(4000 + 1000 + 10 + manifest.length)
    })
  })

  it("forwards a request's method, headers and body", async () => {
    await withProxy(1, [], async (proxy) => {
      const body = bytesOf(200_000, 9)
      const response = await fetch(`${proxy.url}/v1/telemetry?batch=3`, {
        method: "POST",
        headers: {
          authorization: "Bearer device-token",
          "idempotency-key": "batch-3",
          "content-type": "application/octet-stream",
        },
        body,
      })
      expect(response.status).toBe(200)
      expect(sha256(new Uint8Array(await response.arrayBuffer()))).toBe(sha256(body))
      const received = origin.received.at(-1)!
      expect(received.method).toBe("POST")
      expect(received.path).toBe("/v1/telemetry")
      expect(received.headers.authorization).toBe("Bearer device-token")
      expect(received.headers["idempotency-key"]).toBe("batch-3")
      expect(sha256(received.body)).toBe(sha256(body))
    })
  })
})

describe("ChaosProxy: each fault reaches a fetch client", () => {
  it("cut: the body read fails after the chosen number of bytes", async () => {
    const file = files.get(bigBlob)!
    await withProxy(
      1,
      [{ path: ChaosProxy.blobs, on: [0], fault: { kind: "cut" } }],
      async (proxy) => {
        const response = await fetch(proxy.url + bigBlob)
        expect(response.status).toBe(200)
        expect(contentLength(response)).toBe(file.length)
        const { bytes, error } = await drain(response)
        expect(error).toBeInstanceOf(TypeError)
        const [injection] = proxy.stats().log
        expect(injection).toMatchObject({ method: "GET", path: bigBlob, kind: "cut" })
        const at = detailNumber(injection!.detail)
        expect(at).toBeLessThan(file.length)
        expectSame(bytes, file.subarray(0, at))

        // Only the first request was scheduled.
        const next = await fetch(proxy.url + bigBlob)
        expect(sha256(new Uint8Array(await next.arrayBuffer()))).toBe(sha256(file))
        expect(proxy.stats().injected.cut).toBe(1)
        expect(proxy.stats().bytesServed).toBe(at + file.length)
      },
    )
  })

  it("cut at 0: headers arrive, then the connection closes", async () => {
    await withProxy(1, [{ on: [0], fault: { kind: "cut", at: 0 } }], async (proxy) => {
      const response = await fetch(proxy.url + blob)
      expect(response.status).toBe(200)
      await expect(response.arrayBuffer()).rejects.toThrow(TypeError)
    })
  })

  it("status: 503 with Retry-After and 500, without asking the origin", async () => {
    const rules: Array<ChaosProxy.Rule> = [
      { on: [0], fault: { kind: "status", status: 503, retryAfter: 3 } },
      { on: [1], fault: { kind: "status", status: 500 } },
    ]
    await withProxy(1, rules, async (proxy) => {
      const asked = origin.received.length
      const unavailable = await fetch(proxy.url + manifestUrl)
      expect(unavailable.status).toBe(503)
      expect(unavailable.headers.get("retry-after")).toBe("3")
      await unavailable.arrayBuffer()
      const failed = await fetch(proxy.url + manifestUrl)
      expect(failed.status).toBe(500)
      expect(failed.headers.get("retry-after")).toBeNull()
      await failed.arrayBuffer()
      expect(origin.received.length).toBe(asked)

      const ok = await fetch(proxy.url + manifestUrl)
      expect(ok.status).toBe(200)
      expectSame(new Uint8Array(await ok.arrayBuffer()), manifest)
      expect(proxy.stats().log.map((i) => i.detail)).toEqual(["503, retry-after 3", "500"])
    })
  })

  it("stall before the headers: a fetch with an AbortSignal timeout aborts", async () => {
    const rules: Array<ChaosProxy.Rule> = [
      { on: [0], fault: { kind: "stall", ms: 10_000, at: "headers" } },
    ]
    await withProxy(1, rules, async (proxy) => {
      const started = performance.now()
      await expect(
        fetch(proxy.url + manifestUrl, { signal: AbortSignal.timeout(200) }),
      ).rejects.toMatchObject({ name: "TimeoutError" })
      expect(performance.now() - started).toBeLessThan(5_000)
      expect(proxy.stats().log).toEqual([
        {
          method: "GET",
          path: manifestUrl,
          kind: "stall",
          detail: "10000 ms before the headers, then continue",
        },
      ])
    })
  })

  it("stall mid-body: a timeout aborts the body read; or the rest arrives late, intact", async () => {
    const file = files.get(bigBlob)!
    const rules: Array<ChaosProxy.Rule> = [
      { on: [0], fault: { kind: "stall", ms: 10_000, at: 1_000 } },
      { on: [1], fault: { kind: "stall", ms: 300, at: 50_000 } },
    ]
    await withProxy(1, rules, async (proxy) => {
      const aborted = await fetch(proxy.url + bigBlob, { signal: AbortSignal.timeout(300) })
      expect(aborted.status).toBe(200)
      const { bytes, error } = await drain(aborted)
      expect(error).toMatchObject({ name: "TimeoutError" })
      expect(bytes.length).toBe(1_000)

      const started = performance.now()
      const late = await fetch(proxy.url + bigBlob)
      expect(sha256(new Uint8Array(await late.arrayBuffer()))).toBe(sha256(file))
      expect(performance.now() - started).toBeGreaterThanOrEqual(290)
      expect(proxy.stats().log.at(-1)).toMatchObject({
        kind: "stall",
        detail: `300 ms at 50000 of ${file.length} bytes, then continue`,
      })
    })
  })

  it("stall, then cut: the body read fails after the stall", async () => {
    const rules: Array<ChaosProxy.Rule> = [
      { on: [0], fault: { kind: "stall", ms: 100, at: 2_000, after: "cut" } },
      { on: [1], fault: { kind: "stall", ms: 100, at: "headers", after: "cut" } },
    ]
    await withProxy(1, rules, async (proxy) => {
      const { bytes, error } = await drain(await fetch(proxy.url + bigBlob))
      expect(error).toBeInstanceOf(TypeError)
      expectSame(bytes, files.get(bigBlob)!.subarray(0, 2_000))
      // Cut before any headers: fetch itself fails.
      await expect(fetch(proxy.url + bigBlob)).rejects.toThrow(TypeError)
      expect(proxy.stats().injected.stall).toBe(2)
    })
  })

  it("cut request: the origin gets the headers and part of the body, then the connection closes; the fetch fails", async () => {
    // An origin of its own that counts what arrives of each request body until
    // its connection closes (the static origin records whole requests only).
    const arrived: Array<{ bytes: number; complete: boolean }> = []
    const counting = createServer((req, res) => {
      let bytes = 0
      req.on("data", (chunk: Buffer) => {
        bytes += chunk.length
      })
      req.on("close", () => arrived.push({ bytes, complete: req.complete }))
      req.on("end", () => res.end("ok"))
      req.on("error", () => {})
    })
    await new Promise<void>((resolve) => counting.listen(0, "127.0.0.1", resolve))
    const { port } = counting.address() as AddressInfo
    const proxy = await ChaosProxy.start({
      target: `http://127.0.0.1:${port}`,
      seed: 1,
      faults: [
        { on: [0], fault: { kind: "cutRequest" } },
        { on: [1], fault: { kind: "cutRequest", at: 1000 } },
      ],
    })
    try {
      const body = bytesOf(200_000, 4)
      const post = () => fetch(`${proxy.url}/v1/telemetry`, { method: "POST", body })
      await expect(post()).rejects.toThrow(TypeError)
      await expect(post()).rejects.toThrow(TypeError)
      const third = await post()
      expect(await third.text()).toBe("ok")
      await expect.poll(() => arrived.length).toBe(3)
      const [first, second] = proxy.stats().log.map((i) => detailNumber(i.detail))
      expect(first).toBeGreaterThan(0)
      expect(first).toBeLessThan(body.length)
      expect(second).toBe(1000)
      expect(arrived).toEqual([
        { bytes: first, complete: false },
        { bytes: 1000, complete: false },
        { bytes: body.length, complete: true },
      ])
      expect(proxy.stats().injected.cutRequest).toBe(2)
    } finally {
      await proxy.close()
      await new Promise<void>((resolve) => counting.close(() => resolve()))
    }
  })

  it("corrupt: same length and headers, different sha256", async () => {
    const file = files.get(blob)!
    await withProxy(1, [{ on: [0], fault: { kind: "corrupt", bytes: 3 } }], async (proxy) => {
      const response = await fetch(proxy.url + blob)
      const body = new Uint8Array(await response.arrayBuffer())
      expect(response.status).toBe(200)
      expect(contentLength(response)).toBe(file.length)
      expect(body.length).toBe(file.length)
      expect(sha256(body)).not.toBe(sha256(file))
      const changed = [...body.keys()].filter((i) => body[i] !== file[i])
      expect(changed).toHaveLength(3)
      expect(proxy.stats().log[0]!.detail).toBe(`3 bytes at ${changed.join(", ")}`)
    })
  })

  it("truncate: a manifest prefix with a matching Content-Length; JSON.parse fails", async () => {
    await withProxy(
      1,
      [{ path: ChaosProxy.manifests, probability: 1, fault: { kind: "truncate" } }],
      async (proxy) => {
        for (let i = 0; i < 5; i++) {
          const response = await fetch(proxy.url + manifestUrl)
          const body = new Uint8Array(await response.arrayBuffer())
          expect(response.status).toBe(200)
          expect(contentLength(response)).toBe(body.length)
          expect(body.length).toBeLessThan(manifest.length)
          expectSame(body, manifest.subarray(0, body.length))
          expect(() => JSON.parse(new TextDecoder().decode(body))).toThrow(SyntaxError)
        }
        // The rule names manifests only: blobs pass.
        const blobResponse = await fetch(proxy.url + blob)
        expectSame(new Uint8Array(await blobResponse.arrayBuffer()), files.get(blob)!)
        expect(proxy.stats().injected.truncate).toBe(5)
      },
    )
  })

  it("truncate at or past the end still cuts: the last byte before the final newline goes", async () => {
    const rules: Array<ChaosProxy.Rule> = [
      { on: [0], fault: { kind: "truncate", at: manifest.length } },
    ]
    await withProxy(1, rules, async (proxy) => {
      const body = await (await fetch(proxy.url + manifestUrl)).text()
      expect(body).toBe(new TextDecoder().decode(manifest).trimEnd().slice(0, -1))
      expect(() => JSON.parse(body)).toThrow(SyntaxError)
    })
  })

  it("wrong Content-Length: more than sent fails the read; fewer gives a short body", async () => {
    const file = files.get(bigBlob)!
    const rules: Array<ChaosProxy.Rule> = [
      { on: [0], fault: { kind: "wrongLength", declare: "more" } },
      { on: [1], fault: { kind: "wrongLength", declare: "fewer", by: 100 } },
    ]
    await withProxy(1, rules, async (proxy) => {
      const more = await fetch(proxy.url + bigBlob)
      expect(contentLength(more)).toBeGreaterThan(file.length)
      const read = await drain(more)
      expect(read.error).toBeInstanceOf(TypeError)
      expectSame(read.bytes, file)

      // HTTP ends the body where the header says: no error, only a size or
      // hash check can tell.
      const fewer = await fetch(proxy.url + bigBlob)
      const body = new Uint8Array(await fewer.arrayBuffer())
      expect(contentLength(fewer)).toBe(file.length - 100)
      expectSame(body, file.subarray(0, file.length - 100))
      expect(sha256(body)).not.toBe(sha256(file))
      expect(proxy.stats().log.map((i) => i.detail)).toEqual([
        `declares ${contentLength(more)}, sends ${file.length} bytes`,
        `declares ${file.length - 100}, sends ${file.length} bytes`,
      ])
    })
  })
})

describe("ChaosProxy: control", () => {
  it("its path patterns tell manifests from blobs, as Layout writes them", () => {
    const manifestPaths = ["stable", "beta-2"].map((c) => `/${Layout.manifestPath(c)}`)
    const blobPaths = blobUrls.concat(`/registry${blobUrls[0]}?v=1`)
    for (const path of manifestPaths) {
      expect(ChaosProxy.manifests.test(path)).toBe(true)
      expect(ChaosProxy.blobs.test(path)).toBe(false)
    }
    for (const path of blobPaths) {
      expect(ChaosProxy.blobs.test(path)).toBe(true)
      expect(ChaosProxy.manifests.test(path)).toBe(false)
    }
    expect(ChaosProxy.manifests.test(`/${Layout.keyPath("k1")}`)).toBe(false)
  })

  it("setFaults([]): the faults stop", async () => {
    await withProxy(1, [{ probability: 1, fault: { kind: "cut" } }], async (proxy) => {
      for (let i = 0; i < 3; i++) {
        expect((await drain(await fetch(proxy.url + bigBlob))).error).toBeDefined()
      }
      proxy.setFaults([])
      for (let i = 0; i < 10; i++) {
        const response = await fetch(proxy.url + bigBlob)
        expect(sha256(new Uint8Array(await response.arrayBuffer()))).toBe(
          sha256(files.get(bigBlob)!),
        )
      }
      const stats = proxy.stats()
      expect(stats.requests).toBe(13)
      expect(stats.injected.cut).toBe(3)
      const cutBytes = stats.log.reduce((sum, i) => sum + detailNumber(i.detail), 0)
      expect(stats.bytesServed).toBe(cutBytes + 10 * files.get(bigBlob)!.length)
    })
  })

  it("body faults leave answers without a body alone (304, HEAD)", async () => {
    await withProxy(1, [{ probability: 1, fault: { kind: "cut", at: 0 } }], async (proxy) => {
      const etag = (await fetch(origin.url + manifestUrl)).headers.get("etag")!
      const notModified = await fetch(proxy.url + manifestUrl, {
        headers: { "if-none-match": etag },
      })
      expect(notModified.status).toBe(304)
      expect((await notModified.arrayBuffer()).byteLength).toBe(0)
      const head = await fetch(proxy.url + manifestUrl, { method: "HEAD" })
      expect(head.status).toBe(200)
      expect(contentLength(head)).toBe(manifest.length)
      expect(proxy.stats().log).toEqual([])
      // The same rule still cuts a body.
      await expect((await fetch(proxy.url + manifestUrl)).arrayBuffer()).rejects.toThrow()
      expect(proxy.stats().injected.cut).toBe(1)
    })
  })

  it("the first rule that fires wins; every matching rule counts the request", async () => {
    const rules: Array<ChaosProxy.Rule> = [
      { path: ChaosProxy.manifests, on: [1], fault: { kind: "status", status: 503 } },
      { on: [0, 1, 2], fault: { kind: "status", status: 500 } },
    ]
    await withProxy(1, rules, async (proxy) => {
      const statuses = []
      for (const path of [blob, manifestUrl, manifestUrl, blob]) {
        const response = await fetch(proxy.url + path)
        await response.arrayBuffer()
        statuses.push(response.status)
      }
      // request    rule 1 (manifests, on [1])  rule 2 (all, on [0, 1, 2])  answer
      // blob       -                           #0 fires                    500
      // manifest   #0                          #1 fires                    500
      // manifest   #1 fires                    #2 fires                    503 (rule 1)
      // blob       -                           #3                          200
      expect(statuses).toEqual([500, 500, 503, 200])
    })
  })
})

describe("ChaosProxy: reproducibility", () => {
  const mixed: ReadonlyArray<ChaosProxy.Rule> = [
    { path: ChaosProxy.manifests, probability: 0.15, fault: { kind: "truncate" } },
    { probability: 0.08, fault: { kind: "status", status: 503, retryAfter: 1 } },
    { path: ChaosProxy.blobs, probability: 0.15, fault: { kind: "cut" } },
    { probability: 0.1, fault: { kind: "corrupt", bytes: 2 } },
    { probability: 0.05, fault: { kind: "wrongLength", declare: "more" } },
    { probability: 0.05, fault: { kind: "wrongLength", declare: "fewer" } },
    { path: ChaosProxy.blobs, probability: 0.05, fault: { kind: "stall", ms: 5, after: "cut" } },
    { probability: 0.05, fault: { kind: "cutRequest" } },
  ]
  /** What a client saw for one request: a status and the body's hash, or an error. */
  const outcome = async (url: string, init?: RequestInit): Promise<string> => {
    try {
      const response = await fetch(url, init)
      const { bytes, error } = await drain(response)
      return `${response.status} ${error === undefined ? sha256(bytes) : `error after ${bytes.length}`}`
    } catch {
      return "fetch failed"
    }
  }
  const paths = [manifestUrl, ...blobUrls]
  /**
   * 120 requests in a fixed order, every fourth with a Range header; `changed`
   * counts the answers that differ from the file (or range) served as is.
   */
  const sequence = async (proxy: ChaosProxy.ChaosProxy) => {
    const seen: Array<string> = []
    let changed = 0
    for (let i = 0; i < 120; i++) {
      const path = paths[i % paths.length]!
      const ranged = i % 4 === 3
      const init = ranged ? { headers: { range: `bytes=${i}-` } } : undefined
      const expected = `${ranged ? 206 : 200} ${sha256(files.get(path)!.subarray(ranged ? i : 0))}`
      seen.push(await outcome(proxy.url + path, init))
      if (seen.at(-1) !== expected) changed++
    }
    return { seen, changed, stats: proxy.stats() }
  }

  it("the same seed and requests give the same faults, offsets and outcomes", async () => {
    const first = await withProxy(42, mixed, sequence)
    const second = await withProxy(42, mixed, sequence)
    const other = await withProxy(43, mixed, sequence)
    expect(second.stats.log).toEqual(first.stats.log)
    expect(second.seen).toEqual(first.seen)
    expect(second.stats.bytesServed).toBe(first.stats.bytesServed)
    expect(other.stats.log).not.toEqual(first.stats.log)
    // The rules are drawn: about 45 % of 120 requests, every kind present.
    const total = first.stats.log.length
    expect(total).toBeGreaterThan(25)
    expect(total).toBeLessThan(85)
    for (const count of Object.values(first.stats.injected)) expect(count).toBeGreaterThan(0)
    // Every injected fault, and nothing else, changed what the client saw.
    expect(first.changed).toBe(total)
  })

  it("concurrent downloads of different paths get the same faults in any arrival order", async () => {
    // Each path is asked 6 times in turn (as a client retries a chunk); the
    // paths run at once, started in opposite orders.
    const run = (order: ReadonlyArray<string>) =>
      withProxy(7, mixed, async (proxy) => {
        const outcomes = await Promise.all(
          order.map(async (path) => {
            const seen: Array<string> = []
            for (let i = 0; i < 6; i++) seen.push(await outcome(proxy.url + path))
            return [path, seen] as const
          }),
        )
        const byPath = (log: ReadonlyArray<ChaosProxy.Injection>) =>
          Object.fromEntries(paths.map((p) => [p, log.filter((i) => i.path === p)]))
        return { outcomes: Object.fromEntries(outcomes), log: byPath(proxy.stats().log) }
      })
    const forward = await run(paths)
    const backward = await run([...paths].reverse())
    expect(backward.outcomes).toEqual(forward.outcomes)
    expect(backward.log).toEqual(forward.log)
    expect(Object.values(forward.log).flat().length).toBeGreaterThan(0)
  })
})
