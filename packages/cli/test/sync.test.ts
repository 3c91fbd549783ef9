/**
 * `edgeline sync keygen | publish | verify` as a publisher runs them: a key
 * pair in the current directory, a real model published into a registry
 * directory, a second version that reuses its chunks, and verify failing
 * on one wrong byte. Bad usage and bad input exit 2 with one line.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { serving } from "./support/cloud.js"
import { edgeline } from "./support/edgeline.js"

const SILERO = createRequire(import.meta.url).resolve(
  "@edgeline/model-silero-vad/silero_vad_v5.onnx",
)

let dir: string
let registry: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "edgeline-sync-cli-"))
  registry = join(dir, "registry")
})
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true })
})

const publish = (model: string, version: string, more: ReadonlyArray<string> = []) =>
  edgeline(
    [
      "sync",
      "publish",
      model,
      "--name",
      "silero-vad",
      "--version",
      version,
      "--channel",
      "stable",
      "--key",
      "fleet.key.json",
      "--out",
      registry,
      "--json",
      ...more,
    ],
    { cwd: dir },
  )

describe("edgeline sync", () => {
  it("keygen writes the key pair into the current directory", async () => {
    const { code, stdout, stderr } = await edgeline(["sync", "keygen", "--kid", "fleet"], {
      cwd: dir,
    })
    expect(stderr).toBe("")
    expect(code).toBe(0)
    expect(stdout).toContain('key "fleet"')
    expect((await readdir(dir)).sort()).toEqual(["fleet.key.json", "fleet.pub.json"])
    const again = await edgeline(["sync", "keygen", "--kid", "fleet"], { cwd: dir })
    expect(again.code).toBe(2)
    expect(again.stderr).toContain("exists")
  })

  it("publish writes chunks and a signed manifest; a new version writes only what changed", async () => {
    const first = await publish(SILERO, "5.0.0", ["--metadata", await metadataFile()])
    expect(first.stderr).toBe("")
    expect(first.code).toBe(0)
    const one = JSON.parse(first.stdout)
    expect(one.model).toMatchObject({
      name: "silero-vad",
      version: "5.0.0",
      metadata: { source: "test" },
    })
    expect(one.written).toBe(one.model.chunks.length)
    const bytes = new Uint8Array(await readFile(SILERO))
    for (let i = bytes.length - 5000; i < bytes.length; i++) bytes[i] = bytes[i]! ^ 0x11
    const retrained = join(dir, "silero-5.1.0.onnx")
    await writeFile(retrained, bytes)
    const second = JSON.parse((await publish(retrained, "5.1.0", ["--rollout", "20"])).stdout)
    expect(second.manifest.version).toBe(2)
    expect(second.model.rollout.percent).toBe(20)
    expect(second.written).toBeLessThanOrEqual(2)
    expect(second.reused).toBeGreaterThan(25)
    const text = await edgeline(["sync", "verify", registry], { cwd: dir })
    expect(text.code).toBe(0)
    expect(text.stdout).toMatch(/^sound: 1 model\(s\), \d+ chunk\(s\) in stable \(version 2\)/)
  })

  it("verify exits 1 naming a chunk with one wrong byte", async () => {
    const manifest = JSON.parse(await readFile(join(registry, "channels/stable.json"), "utf8"))
    const chunk = manifest.manifest.models[0].chunks[3].sha256 as string
    const path = join(registry, "blobs/sha256", chunk.slice(0, 2), chunk)
    const original = await readFile(path)
    const broken = Buffer.from(original)
    broken[7] = broken[7]! ^ 0x80
    await writeFile(path, broken)
    try {
      const result = await edgeline(
        ["sync", "verify", registry, "--key", join(dir, "fleet.pub.json"), "--json"],
        { cwd: dir },
      )
      expect(result.code).toBe(1)
      const report = JSON.parse(result.stdout)
      expect(report.problems).toEqual([
        expect.stringContaining(chunk),
        expect.stringContaining("model silero-vad@5.1.0"),
      ])
    } finally {
      await writeFile(path, original)
    }
  })

  it("serve: the registry over HTTP with ETags and ranges, and the telemetry ingest behind a token", async () => {
    const telemetry = join(dir, "telemetry.jsonl")
    const server = serving([registry, "--token", "t0k", "--telemetry", telemetry], process.env, [
      "sync",
      "serve",
    ])
    try {
      const url = await server.url
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
      const manifest = await fetch(`${url}channels/stable.json`)
      expect(manifest.status).toBe(200)
      const etag = manifest.headers.get("etag")!
      const signed = (await manifest.json()) as {
        manifest: {
          channel: string
          models: Array<{ chunks: Array<{ sha256: string; size: number }> }>
        }
      }
      expect(signed.manifest.channel).toBe("stable")
      const again = await fetch(`${url}channels/stable.json`, {
        headers: { "if-none-match": etag },
      })
      expect(again.status).toBe(304)
      const chunk = signed.manifest.models[0]!.chunks[0]!
      const part = await fetch(`${url}blobs/sha256/${chunk.sha256.slice(0, 2)}/${chunk.sha256}`, {
        headers: { range: "bytes=100-" },
      })
      expect(part.status).toBe(206)
      expect((await part.arrayBuffer()).byteLength).toBe(chunk.size - 100)
      const event = { id: "e1", kind: "counter", name: "n", at: new Date().toISOString() }
      const post = (token: string) =>
        fetch(`${url}v1/telemetry`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ deviceId: "d1", events: [event] }),
        })
      expect((await post("wrong")).status).toBe(401)
      expect(await (await post("t0k")).json()).toEqual({ accepted: 1, duplicates: 0 })
      expect(await (await post("t0k")).json()).toEqual({ accepted: 0, duplicates: 1 })
      const lines = (await readFile(telemetry, "utf8")).trim().split("\n")
      expect(lines.map((l) => JSON.parse(l).event.id)).toEqual(["e1"])
    } finally {
      await server.stop()
    }
    expect((await server.exited).code).toBe(0)
  })

  it("refuses bad usage and bad input with exit 2 and one line", async () => {
    const cases: Array<[ReadonlyArray<string>, string]> = [
      [["sync"], "sync needs a subcommand"],
      [["sync", "push"], 'unknown sync subcommand "push"'],
      [
        [
          "sync",
          "publish",
          SILERO,
          "--name",
          "x",
          "--channel",
          "s",
          "--key",
          "fleet.key.json",
          "--out",
          registry,
        ],
        "needs --version",
      ],
      [
        [
          "sync",
          "publish",
          SILERO,
          "--name",
          "x",
          "--version",
          "1.0",
          "--channel",
          "s",
          "--key",
          "fleet.key.json",
          "--out",
          registry,
        ],
        "semantic version",
      ],
      [
        [
          "sync",
          "publish",
          SILERO,
          "--name",
          "x",
          "--version",
          "1.0.0",
          "--channel",
          "s",
          "--key",
          "fleet.pub.json",
          "--out",
          registry,
        ],
        "private key",
      ],
      [
        [
          "sync",
          "publish",
          join(dir, "nope.onnx"),
          "--name",
          "x",
          "--version",
          "1.0.0",
          "--channel",
          "s",
          "--key",
          "fleet.key.json",
          "--out",
          registry,
        ],
        "nope.onnx",
      ],
      [
        [
          "sync",
          "publish",
          SILERO,
          "--name",
          "x",
          "--version",
          "1.0.0",
          "--channel",
          "s",
          "--key",
          "fleet.key.json",
          "--out",
          registry,
          "--rollout",
          "120",
        ],
        "--rollout",
      ],
      [["sync", "verify"], "needs the registry directory"],
      [["sync", "serve", join(dir, "fleet.key.json")], "is not a directory"],
      [["sync", "verify", registry, "--threshold", "1"], "no option --threshold"],
    ]
    for (const [args, message] of cases) {
      const result = await edgeline(args, { cwd: dir })
      expect(result.code, args.join(" ")).toBe(2)
      expect(result.stderr).toContain(message)
      expect(result.stdout).toBe("")
    }
  })
})

const metadataFile = async () => {
  const path = join(dir, "metadata.json")
  await writeFile(path, JSON.stringify({ source: "test" }))
  return path
}
