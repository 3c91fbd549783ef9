/**
 * A registry on disk, as the CLI makes it: key files, publishing real
 * models (chunks reused across versions), and verify finding every wrong
 * byte. Bad input is refused before anything is written.
 */
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { Layout, Signature } from "../src/index.js"
import { KeyFiles, Publish, VerifyRegistry } from "../src/node/index.js"
import { writeFlippedTail } from "./support/OnnxVariant.js"

const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)
const refusal = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(Effect.flip(effect))

const SILERO = createRequire(import.meta.url).resolve(
  "@edgeline/model-silero-vad/silero_vad_v5.onnx",
)

const directories: Array<string> = []
const scratch = async () => {
  const dir = await mkdtemp(join(tmpdir(), "edgeline-sync-"))
  directories.push(dir)
  return dir
}
afterEach(async () => {
  for (const dir of directories.splice(0)) await rm(dir, { recursive: true, force: true })
})

/** A key pair in `dir`, read back as the CLI would. */
const keyIn = async (dir: string, kid?: string) => {
  const written = await run(KeyFiles.generate(dir, kid))
  return run(KeyFiles.readPrivate(written.privateKeyPath))
}

/** Silero with its last `tail` bytes changed: a new version that retrained only its last layer. */
const retrained = async (dir: string, tail = 20_000) => {
  const path = join(dir, "silero-v2.onnx")
  await writeFlippedTail(SILERO, path, tail)
  return path
}

const files = async (dir: string): Promise<Array<string>> =>
  (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort()

describe("key files", () => {
  it("writes a private and a public key, reads them back, and will not overwrite one", async () => {
    const dir = await scratch()
    const written = await run(KeyFiles.generate(dir, "fleet-2026"))
    expect(await files(dir)).toEqual(["fleet-2026.key.json", "fleet-2026.pub.json"])
    const privateKey = await run(KeyFiles.readPrivate(written.privateKeyPath))
    const publicKey = await run(KeyFiles.readPublic(written.publicKeyPath))
    expect(publicKey).toEqual(Signature.publicOf(privateKey))
    expect((await refusal(KeyFiles.generate(dir, "fleet-2026")))._tag).toBe("KeyError")
    expect((await refusal(KeyFiles.readPrivate(written.publicKeyPath)))._tag).toBe("KeyError")
    expect((await refusal(KeyFiles.readPrivate(join(dir, "nope.json"))))._tag).toBe("KeyError")
  })
})

describe("publish and verify", () => {
  it("publishes a 2.3 MB model as ~64 KiB chunks, and a new version with a changed last layer reuses all but the last", async () => {
    const dir = await scratch()
    const registry = join(dir, "registry")
    const key = await keyIn(dir)
    const progress: Array<number> = []
    const first = await run(
      Publish.publish({
        model: SILERO,
        name: "silero-vad",
        version: "5.0.0",
        channel: "stable",
        key,
        out: registry,
        metadata: { source: "@edgeline/model-silero-vad" },
        onProgress: (done) => progress.push(done),
      }),
    )
    const size = (await readFile(SILERO)).length
    expect(first.model.size).toBe(size)
    expect(first.written).toBe(first.model.chunks.length)
    expect(first.reused).toBe(0)
    expect(first.model.chunks.length).toBeGreaterThan(20)
    expect(progress.at(-1)).toBe(size)
    expect(first.manifest.version).toBe(1)

    const second = await run(
      Publish.publish({
        model: await retrained(dir),
        name: "silero-vad",
        version: "5.1.0",
        channel: "stable",
        key,
        out: registry,
      }),
    )
    expect(second.manifest.version).toBe(2)
    expect(second.manifest.models.map((m) => `${m.name}@${m.version}`)).toEqual([
      "silero-vad@5.1.0",
    ])
    expect(second.written).toBeLessThanOrEqual(2)
    expect(second.bytesWritten / size).toBeLessThan(0.1)
    expect(second.reused).toBe(second.model.chunks.length - second.written)

    const report = await run(VerifyRegistry.verify(registry))
    expect(report.problems).toEqual([])
    expect(report.channels).toEqual([{ channel: "stable", version: 2 }])
    expect(report.chunks).toBe(second.model.chunks.length)
    const signed = JSON.parse(await readFile(join(registry, Layout.manifestPath("stable")), "utf8"))
    const manifest = await run(Signature.verify(signed, { trusted: [Signature.publicOf(key)] }))
    expect(manifest).toEqual(second.manifest)
  })

  it("keeps other models on the channel, republishes identical bytes as unchanged, and refuses a version with other bytes", async () => {
    const dir = await scratch()
    const registry = join(dir, "registry")
    const key = await keyIn(dir)
    const base = { channel: "beta", key, out: registry }
    await run(Publish.publish({ ...base, model: SILERO, name: "silero-vad", version: "5.0.0" }))
    const triage = createRequire(import.meta.url).resolve("@edgeline/model-silero-vad/package.json")
    await run(
      Publish.publish({
        ...base,
        model: triage,
        name: "notes",
        version: "0.1.0",
        rolloutPercent: 10,
      }),
    )
    const again = await run(
      Publish.publish({ ...base, model: SILERO, name: "silero-vad", version: "5.0.0" }),
    )
    expect(again.unchanged).toBe(true)
    expect(again.written).toBe(0)
    expect(again.manifest.version).toBe(2)
    expect(again.manifest.models.map((m) => [m.name, m.rollout.percent])).toEqual([
      ["silero-vad", 100],
      ["notes", 10],
    ])
    const other = await refusal(
      Publish.publish({
        ...base,
        model: await retrained(dir),
        name: "silero-vad",
        version: "5.0.0",
      }),
    )
    expect(other._tag).toBe("RegistryError")
    expect(other.message).toContain("publish a new version")
  })

  it("refuses bad names, versions and rollouts before writing anything", async () => {
    const dir = await scratch()
    const registry = join(dir, "registry")
    const key = await keyIn(dir)
    const good = {
      model: SILERO,
      name: "silero-vad",
      version: "5.0.0",
      channel: "stable",
      key,
      out: registry,
    }
    for (const bad of [
      { name: "../escape" },
      { version: "five" },
      { channel: "a/b" },
      { rolloutPercent: 150 },
      { model: join(dir, "missing.onnx") },
      { model: dir },
    ]) {
      const error = await refusal(Publish.publish({ ...good, ...bad }))
      expect(error._tag).toBe("RegistryError")
    }
    expect(await readdir(dir)).not.toContain("registry")
  })

  it("rotates keys: publishing with a new key re-signs a channel the previous key signed", async () => {
    const dir = await scratch()
    const registry = join(dir, "registry")
    const old = await keyIn(dir, "k2026")
    const next = await keyIn(dir, "k2027")
    const base = { model: SILERO, name: "silero-vad", channel: "stable", out: registry }
    await run(Publish.publish({ ...base, version: "5.0.0", key: old }))
    const rotated = await run(Publish.publish({ ...base, version: "5.0.1", key: next }))
    expect(rotated.manifest.keyId).toBe("k2027")
    expect(rotated.manifest.version).toBe(2)
    expect(await files(join(registry, "keys"))).toEqual(["k2026.json", "k2027.json"])
    expect((await run(VerifyRegistry.verify(registry))).problems).toEqual([])
  })

  it("a new manifest's mtime is in a later second than the one it replaces, so mtime-and-size ETags (nginx) change", async () => {
    const dir = await scratch()
    const registry = join(dir, "registry")
    const key = await keyIn(dir)
    const base = { model: SILERO, name: "silero-vad", channel: "stable", key, out: registry }
    await run(Publish.publish({ ...base, version: "5.0.0" }))
    const manifestFile = join(registry, Layout.manifestPath("stable"))
    // The manifest replaced carries this second or a later one (a publish a
    // moment ago, a clock set back): the next must not share its second.
    const previous = new Date(Math.ceil(Date.now() / 1000) * 1000 + 5_000)
    await utimes(manifestFile, previous, previous)
    const sizeBefore = (await stat(manifestFile)).size
    await run(Publish.publish({ ...base, version: "5.0.1" }))
    const after = await stat(manifestFile)
    // Same bytes under a version of the same length: the same size, so only the mtime tells them apart.
    expect(after.size).toBe(sizeBefore)
    expect(Math.floor(after.mtimeMs / 1000)).toBeGreaterThan(previous.getTime() / 1000)
  })

  it("verify lists every wrong byte: a flipped bit, a missing chunk, a truncated chunk, a tampered manifest", async () => {
    const dir = await scratch()
    const registry = join(dir, "registry")
    const key = await keyIn(dir)
    const published = await run(
      Publish.publish({
        model: SILERO,
        name: "silero-vad",
        version: "5.0.0",
        channel: "stable",
        key,
        out: registry,
      }),
    )
    const [a, b, c] = published.model.chunks
    const blob = (sha: string) => join(registry, Layout.blobPath(sha))
    const flipped = await readFile(blob(a!.sha256))
    flipped[100] = flipped[100]! ^ 1
    await writeFile(blob(a!.sha256), flipped)
    await rm(blob(b!.sha256))
    await writeFile(blob(c!.sha256), (await readFile(blob(c!.sha256))).subarray(0, 10))
    const report = await run(VerifyRegistry.verify(registry))
    expect(report.problems).toHaveLength(3)
    expect(report.problems.join("\n")).toContain(`${a!.sha256}: its bytes hash to`)
    expect(report.problems.join("\n")).toContain(`${b!.sha256}: missing`)
    expect(report.problems.join("\n")).toContain(`${c!.sha256}: 10 bytes`)

    const manifestFile = join(registry, Layout.manifestPath("stable"))
    const signed = JSON.parse(await readFile(manifestFile, "utf8"))
    signed.manifest.models[0].rollout.percent = 50
    await writeFile(manifestFile, JSON.stringify(signed))
    const tampered = await run(VerifyRegistry.verify(registry))
    expect(tampered.problems).toEqual([expect.stringContaining("does not verify")])
    await writeFile(manifestFile, "{ not json")
    expect((await run(VerifyRegistry.verify(registry))).problems).toEqual([
      expect.stringContaining("unreadable"),
    ])
    expect((await run(VerifyRegistry.verify(join(dir, "nothing-here")))).problems).toHaveLength(1)
  })

  it("verify warns about an expired manifest but still checks its bytes", async () => {
    const dir = await scratch()
    const registry = join(dir, "registry")
    const key = await keyIn(dir)
    await run(
      Publish.publish({
        model: SILERO,
        name: "silero-vad",
        version: "5.0.0",
        channel: "stable",
        key,
        out: registry,
        now: new Date("2025-01-01T00:00:00Z"),
        expiresInDays: 1,
      }),
    )
    const report = await run(VerifyRegistry.verify(registry))
    expect(report.problems).toEqual([])
    expect(report.warnings).toEqual([expect.stringContaining("expired")])
    expect(report.chunks).toBeGreaterThan(20)
  })
})
