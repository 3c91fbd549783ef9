import { createHash } from "node:crypto"
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises"
import { createServer, type Server } from "node:http"
import { createRequire } from "node:module"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join, relative } from "node:path"
import { ModelNotFoundError, ModelRef, ModelSource } from "@edgeline/core"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ModelSources } from "../src/index.js"

const SILERO_SPEC = "@ricky0123/vad-web/dist/silero_vad_v5.onnx"
const sileroPath = createRequire(import.meta.url).resolve(SILERO_SPEC)

const resolveWith = (ref: ModelRef.ModelRef, options?: ModelSources.Options) =>
  Effect.provide(
    Effect.gen(function* () {
      const source = yield* ModelSource.ModelSource
      return yield* source.resolve(ref)
    }),
    ModelSources.layer(options),
  )

const resolve = (ref: ModelRef.ModelRef, options?: ModelSources.Options) =>
  Effect.runPromise(resolveWith(ref, options))

/** The typed failure of resolving `ref`; rejects if it resolves. */
const notFound = (ref: ModelRef.ModelRef, options?: ModelSources.Options) =>
  Effect.runPromise(Effect.flip(resolveWith(ref, options)))

let expected: Uint8Array
let sha256: string
let tmp: string
let server: Server
let base: string
const requests: Array<string> = []

beforeAll(async () => {
  expected = await readFile(sileroPath)
  sha256 = createHash("sha256").update(expected).digest("hex")
  tmp = await mkdtemp(join(tmpdir(), "edgeline-sources-"))
  server = createServer((req, res) => {
    requests.push(req.url ?? "")
    if (req.url === "/models/silero.onnx") {
      res.writeHead(200, { "content-type": "application/octet-stream" })
      res.end(expected)
    } else if (req.url === "/hang") {
      // Never answers: for the download timeout.
    } else {
      res.writeHead(404, { "content-type": "text/plain" })
      res.end("no such model")
    }
  })
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise((done) => server.close(done))
  await rm(tmp, { recursive: true, force: true })
})

describe("ModelSources: files and npm packages", () => {
  it("resolves a path, a relative path, a file:// URL and an npm: spec to the same bytes", async () => {
    const refs = [
      ModelRef.make("by-path", sileroPath),
      ModelRef.make("by-relative-path", relative(process.cwd(), sileroPath)),
      ModelRef.make("by-file-url", ModelSources.fileUri(sileroPath)),
      ModelRef.make("by-npm", `npm:${SILERO_SPEC}`),
    ]
    expect(refs[2]!.uri).toMatch(/^file:\/\//)
    for (const ref of refs) {
      const model = await resolve(ref)
      expect(model.ref).toBe(ref)
      expect(model.bytes.byteLength).toBe(expected.byteLength)
      expect(Buffer.from(model.bytes).equals(expected)).toBe(true)
    }
  })

  it("resolves npm: specs from the given packageRoots first", async () => {
    const root = join(tmp, "app")
    const pkg = join(root, "node_modules", "edgeline-test-models")
    await mkdir(pkg, { recursive: true })
    await writeFile(
      join(pkg, "package.json"),
      JSON.stringify({ name: "edgeline-test-models", version: "1.0.0" }),
    )
    await writeFile(join(pkg, "tiny.onnx"), "tiny model bytes")
    const ref = ModelRef.make("tiny", "npm:edgeline-test-models/tiny.onnx")

    const model = await resolve(ref, { packageRoots: [join(tmp, "elsewhere"), root] })
    expect(Buffer.from(model.bytes).toString()).toBe("tiny model bytes")

    const error = await notFound(ref) // from the working directory it is not installed
    expect(error).toBeInstanceOf(ModelNotFoundError)
  })

  it("resolves npm: specs from the module that named the model (ref.resolveFrom) first", async () => {
    // An isolated install: the model package sits beside the library that
    // names it, where neither the working directory nor this runtime sees it.
    const library = join(tmp, "store", "some-recipes")
    const pkg = join(library, "node_modules", "edgeline-isolated-models")
    await mkdir(pkg, { recursive: true })
    await writeFile(
      join(pkg, "package.json"),
      JSON.stringify({ name: "edgeline-isolated-models", version: "1.0.0" }),
    )
    await writeFile(join(pkg, "vad.onnx"), "isolated model bytes")
    const uri = "npm:edgeline-isolated-models/vad.onnx"
    const named = ModelRef.make("vad", uri, {
      resolveFrom: ModelSources.fileUri(join(library, "dist", "index.js")),
    })
    const model = await resolve(named)
    expect(Buffer.from(model.bytes).toString()).toBe("isolated model bytes")
    expect(await notFound(ModelRef.make("vad", uri))).toBeInstanceOf(ModelNotFoundError)
  })

  it("fails a missing file with ModelNotFoundError saying where it looked and what to check", async () => {
    const missing = join(tmp, "nope", "missing.onnx")
    for (const uri of [missing, ModelSources.fileUri(missing)]) {
      const error = await notFound(ModelRef.make("missing", uri))
      expect(error).toBeInstanceOf(ModelNotFoundError)
      expect(error._tag).toBe("ModelNotFoundError")
      expect(error.model).toBe("missing")
      expect(error.message).toContain(missing)
      expect(error.message).toMatch(/check the path/)
    }
  })

  it("fails a package that is not installed with ModelNotFoundError telling to add the dependency", async () => {
    const error = await notFound(
      ModelRef.make("ghost", "npm:@edgeline-test/not-installed/model.onnx"),
    )
    expect(error).toBeInstanceOf(ModelNotFoundError)
    expect(error.model).toBe("ghost")
    expect(error.message).toContain("@edgeline-test/not-installed/model.onnx")
    expect(error.message).toMatch(/not installed/)
    expect(error.message).toMatch(/add its package to your dependencies/)
  })
})

describe("ModelSources: HTTP on 127.0.0.1", () => {
  it("downloads a model served with 200", async () => {
    const before = requests.length
    const model = await resolve(ModelRef.make("served", `${base}/models/silero.onnx`))
    expect(requests.slice(before)).toEqual(["/models/silero.onnx"])
    expect(Buffer.from(model.bytes).equals(expected)).toBe(true)
  })

  it("fails a 404 with ModelNotFoundError mentioning 404", async () => {
    const error = await notFound(ModelRef.make("gone", `${base}/models/gone.onnx`))
    expect(error).toBeInstanceOf(ModelNotFoundError)
    expect(error.model).toBe("gone")
    expect(error.message).toContain("404")
    expect(error.message).toContain(`${base}/models/gone.onnx`)
  })

  it("fails a download that outlives fetchTimeoutMs with ModelNotFoundError", async () => {
    const started = Date.now()
    const error = await notFound(ModelRef.make("slow", `${base}/hang`), { fetchTimeoutMs: 200 })
    expect(error).toBeInstanceOf(ModelNotFoundError)
    expect(error.message).toMatch(/timeout|timed out|abort/i)
    expect(Date.now() - started).toBeLessThan(5_000)
  })
})

describe("ModelSources: sha256 verification", () => {
  const wrong = "0".repeat(64)

  it("passes bytes whose sha256 matches, from a file, npm: and HTTP", async () => {
    for (const uri of [sileroPath, `npm:${SILERO_SPEC}`, `${base}/models/silero.onnx`]) {
      const model = await resolve(ModelRef.make("pinned", uri, { sha256 }))
      expect(Buffer.from(model.bytes).equals(expected)).toBe(true)
    }
  })

  it("accepts a pinned sha256 written in uppercase, made by hand or by ModelRef.make", async () => {
    const upper = sha256.toUpperCase()
    for (const ref of [
      { name: "pinned-upper", uri: sileroPath, sha256: upper },
      ModelRef.make("pinned-upper", `npm:${SILERO_SPEC}`, { sha256: upper }),
    ]) {
      const model = await resolve(ref)
      expect(Buffer.from(model.bytes).equals(expected)).toBe(true)
      // What the source hands the backend is the hash in the one form a cache key uses.
      expect(model.sha256).toBe(sha256)
    }
  })

  it("fails bytes whose sha256 differs with ModelNotFoundError naming both hashes", async () => {
    for (const uri of [sileroPath, `${base}/models/silero.onnx`]) {
      const error = await notFound(ModelRef.make("pinned", uri, { sha256: wrong }))
      expect(error).toBeInstanceOf(ModelNotFoundError)
      expect(error.model).toBe("pinned")
      expect(error.message).toContain("sha256")
      expect(error.message).toContain(sha256)
      expect(error.message).toContain(wrong)
    }
  })
})
