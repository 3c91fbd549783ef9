/**
 * The optimized-model cache (SessionCache): real onnxruntime-node, the real
 * Silero v5 file and the real voice gate. A cached session scores exactly
 * what an uncached one does; a session comes from the cached file; a broken
 * file is made again; a cache that cannot be written is not an error.
 */
import { chmod, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { homedir, tmpdir } from "node:os"
import { join } from "node:path"
import { createRunner, ModelRef } from "@edgeline/core"
import * as SileroModel from "@edgeline/model-silero-vad"
import { VoiceGate } from "@edgeline/recipes"
import { NodeRuntime } from "@edgeline/runtime-node"
import { describe, expect, it } from "vitest"
import * as SessionCache from "../src/SessionCache.js"
import { edgeline, sample } from "./support/edgeline.js"

const modelBytes = new Uint8Array(
  await readFile(createRequire(import.meta.url).resolve(SileroModel.specifier)),
)
const model: ModelRef.ModelBytes = {
  ref: ModelRef.make("silero-vad", `npm:${SileroModel.specifier}`),
  bytes: modelBytes,
  sha256: SileroModel.sha256,
}
const load = { own: {} }

const cacheDir = () => mkdtemp(join(tmpdir(), "edgeline-session-cache-"))
const cached = async (dir: string) => (await readdir(dir)).filter((f) => f.endsWith(".ort"))

/** ORT-format files carry the flatbuffer identifier "ORTM" at byte 4. */
const isOrtFormat = (bytes: Uint8Array) =>
  Buffer.from(bytes.subarray(4, 8)).toString("latin1") === "ORTM"

/** Every frame probability of the gate over the sample, with sessions from `createSession`. */
const probabilities = async (createSession: ReturnType<typeof SessionCache.createSession>) => {
  const runner = await createRunner(VoiceGate.fromWav(), {
    layer: NodeRuntime.layer({ createSession }),
  })
  try {
    const gated = await runner.run(new Uint8Array(await readFile(sample)))
    return Buffer.from(
      gated.probabilities.buffer,
      gated.probabilities.byteOffset,
      gated.probabilities.byteLength,
    )
  } finally {
    await runner.close()
  }
}

describe("SessionCache", () => {
  it("neither loads nor saves in a directory others can write (a planted graph would run)", async () => {
    const dir = await cacheDir()
    const uncached = await probabilities(SessionCache.createSession(undefined))
    await chmod(dir, 0o777)
    expect(await probabilities(SessionCache.createSession(dir))).toEqual(uncached)
    expect(await cached(dir)).toHaveLength(0)
  })

  it("the first run saves the optimized model; cached runs score bit for bit what uncached ones do", async () => {
    const dir = await cacheDir()
    const uncached = await probabilities(SessionCache.createSession(undefined))
    const first = await probabilities(SessionCache.createSession(dir))
    const files = await cached(dir)
    expect(files).toHaveLength(1)
    expect(isOrtFormat(await readFile(join(dir, files[0]!)))).toBe(true)
    const second = await probabilities(SessionCache.createSession(dir))
    expect(await cached(dir)).toEqual(files)
    expect(uncached.length).toBeGreaterThan(100)
    expect(first.equals(uncached)).toBe(true)
    expect(second.equals(uncached)).toBe(true)
  })

  it("a cached session comes from the cached file, not the model's bytes", async () => {
    const dir = await cacheDir()
    // Only the sha256 names the model here: without a cached file there is nothing to load.
    const hashOnly = { ...model, bytes: new Uint8Array(0) }
    await expect(SessionCache.createSession(dir)(hashOnly, load)).rejects.toThrow()
    const made = await SessionCache.createSession(dir)(model, load)
    await made.release()
    const session = await SessionCache.createSession(dir)(hashOnly, load)
    expect(session.inputNames).toEqual(["input", "state", "sr"])
    await session.release()
  })

  it("a cached file that does not load is made again", async () => {
    const dir = await cacheDir()
    await (await SessionCache.createSession(dir)(model, load)).release()
    const [file] = await cached(dir)
    await writeFile(join(dir, file!), "not an ORT model")
    const session = await SessionCache.createSession(dir)(model, load)
    expect(session.outputNames).toEqual(["output", "stateN"])
    await session.release()
    expect(await cached(dir)).toEqual([file])
    expect(isOrtFormat(await readFile(join(dir, file!)))).toBe(true)
  })

  it("a cache directory that cannot be made costs nothing but the saving", async () => {
    const blocker = join(await cacheDir(), "a-file")
    await writeFile(blocker, "")
    const session = await SessionCache.createSession(join(blocker, "cache"))(model, load)
    expect(session.inputNames).toEqual(["input", "state", "sr"])
    await session.release()
  })

  it("lives under EDGELINE_CACHE_DIR, XDG_CACHE_HOME or ~/.cache, and EDGELINE_CACHE=off turns it off", () => {
    expect(SessionCache.directory({ EDGELINE_CACHE: "off", EDGELINE_CACHE_DIR: "/c" })).toBe(
      undefined,
    )
    expect(SessionCache.directory({ EDGELINE_CACHE_DIR: "/c", XDG_CACHE_HOME: "/x" })).toBe(
      join("/c", "onnxruntime"),
    )
    expect(SessionCache.directory({ XDG_CACHE_HOME: "/x" })).toBe(
      join("/x", "edgeline", "onnxruntime"),
    )
    expect(SessionCache.directory({})).toBe(join(homedir(), ".cache", "edgeline", "onnxruntime"))
  })

  it("edgeline voice-gate fills the cache and reports the same with it as without", async () => {
    const dir = await cacheDir()
    const report = async (env: NodeJS.ProcessEnv) => {
      const { code, stdout, stderr } = await edgeline(["voice-gate", sample, "--json"], {
        env: { ...process.env, ...env },
      })
      expect(stderr).toBe("")
      expect(code).toBe(0)
      const { segments, speechRatio, bytesOut } = JSON.parse(stdout)
      return { segments, speechRatio, bytesOut }
    }
    const off = await report({ EDGELINE_CACHE: "off", EDGELINE_CACHE_DIR: dir })
    expect(await readdir(dir)).toEqual([])
    const filling = await report({ EDGELINE_CACHE_DIR: dir })
    expect(await cached(join(dir, "onnxruntime"))).toHaveLength(1)
    const fromCache = await report({ EDGELINE_CACHE_DIR: dir })
    expect(off.segments.length).toBeGreaterThan(0)
    expect(filling).toEqual(off)
    expect(fromCache).toEqual(off)
  })
})
