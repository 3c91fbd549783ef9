/**
 * Signed manifests: Ed25519 over canonical JSON with WebCrypto. What
 * verifies, and each way a manifest is refused with its own typed error.
 */
import { Effect } from "effect"
import { beforeAll, describe, expect, it } from "vitest"
import { Manifest, Signature } from "../src/index.js"

const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)
const refusal = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(Effect.flip(effect))

const ISSUED = new Date("2026-12-01T00:00:00Z")
const manifestFor = (keyId: string, version = 3): Manifest.Manifest => ({
  format: Manifest.FORMAT,
  channel: "stable",
  version,
  issued: ISSUED.toISOString(),
  expires: "2027-01-01T00:00:00.000Z",
  keyId,
  models: [
    {
      name: "message-triage",
      version: "1.2.0",
      sha256: "a".repeat(64),
      size: 100,
      metadata: { threshold: 0.76, labels: ["ham", "spam"] },
      rollout: { percent: 25, salt: "message-triage@1.2.0" },
      chunks: [
        { sha256: "b".repeat(64), size: 60 },
        { sha256: "c".repeat(64), size: 40 },
      ],
    },
  ],
})

let current: Signature.KeyPair
let previous: Signature.KeyPair
let stranger: Signature.KeyPair
beforeAll(async () => {
  current = await run(Signature.generate("current"))
  previous = await run(Signature.generate("previous"))
  stranger = await run(Signature.generate())
})

const options = (overrides: Partial<Signature.VerifyOptions> = {}): Signature.VerifyOptions => ({
  trusted: [current.publicKey, previous.publicKey],
  now: ISSUED,
  ...overrides,
})

/** Through JSON and back, keys reordered: what a device parses. */
const overTheWire = (value: unknown): unknown => {
  const reorder = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(reorder)
      : typeof v === "object" && v !== null
        ? Object.fromEntries(
            Object.entries(v)
              .reverse()
              .map(([k, x]) => [k, reorder(x)]),
          )
        : v
  return reorder(JSON.parse(JSON.stringify(value)))
}

describe("Signature", () => {
  it("verifies a signed manifest after JSON and key reordering, and returns it decoded", async () => {
    const signed = await run(Signature.sign(manifestFor("current"), current.privateKey))
    const manifest = await run(Signature.verify(overTheWire(signed), options()))
    expect(manifest).toEqual(manifestFor("current"))
  })

  it("names a generated key by its fingerprint, and makes distinct keys", async () => {
    expect(stranger.publicKey.kid).toMatch(/^ed25519-[A-Za-z0-9_-]{16}$/)
    expect(stranger.publicKey.x).not.toBe(current.publicKey.x)
    expect(Signature.publicOf(stranger.privateKey)).toEqual(stranger.publicKey)
    expect("d" in stranger.publicKey).toBe(false)
  })

  it("refuses any change to a signed manifest", async () => {
    const signed = await run(Signature.sign(manifestFor("current"), current.privateKey))
    const tampered = [
      (m: any) => (m.version = 4),
      (m: any) => (m.models[0].sha256 = "d".repeat(64)),
      (m: any) => (m.models[0].rollout.percent = 100),
      (m: any) => (m.models[0].metadata.threshold = 0.1),
      (m: any) => (m.expires = "2099-01-01T00:00:00.000Z"),
      (m: any) => (m.extra = true),
    ]
    for (const change of tampered) {
      const copy = JSON.parse(JSON.stringify(signed))
      change(copy.manifest)
      const error = await refusal(Signature.verify(copy, options()))
      expect(error._tag).toBe("ManifestSignatureError")
      expect(error.message).toContain("does not verify")
    }
  })

  it("refuses an unsigned manifest, a garbage signature and another key's signature", async () => {
    const signed = await run(Signature.sign(manifestFor("current"), current.privateKey))
    const unsigned = await refusal(Signature.verify({ manifest: signed.manifest }, options()))
    expect(unsigned._tag).toBe("ManifestSignatureError")
    expect(unsigned.message).toContain("unsigned")
    for (const signature of ["!!!", "AAAA", signed.signature.slice(0, -4)]) {
      const error = await refusal(Signature.verify({ ...signed, signature }, options()))
      expect(error._tag).toBe("ManifestSignatureError")
    }
    // Signed by `stranger` but claiming to be `current`.
    const forged = await run(
      Signature.sign(manifestFor("current"), { ...stranger.privateKey, kid: "current" }),
    )
    expect((await refusal(Signature.verify(forged, options())))._tag).toBe("ManifestSignatureError")
  })

  it("refuses a manifest signed by a key the device does not trust, naming it", async () => {
    const signed = await run(
      Signature.sign(manifestFor(stranger.privateKey.kid), stranger.privateKey),
    )
    const error = await refusal(Signature.verify(signed, options()))
    expect(error._tag).toBe("ManifestSignatureError")
    expect(error.message).toContain(stranger.privateKey.kid)
    expect(error.message).toContain('"current"')
  })

  it("rotates keys: a device trusting both verifies manifests signed by either", async () => {
    for (const pair of [previous, current]) {
      const signed = await run(Signature.sign(manifestFor(pair.privateKey.kid), pair.privateKey))
      expect((await run(Signature.verify(signed, options()))).keyId).toBe(pair.privateKey.kid)
    }
    const onlyNew = await run(Signature.sign(manifestFor("previous"), previous.privateKey))
    const error = await refusal(
      Signature.verify(onlyNew, options({ trusted: [current.publicKey] })),
    )
    expect(error._tag).toBe("ManifestSignatureError")
  })

  it("refuses an expired manifest and a downgrade, and accepts the same version again", async () => {
    const signed = await run(Signature.sign(manifestFor("current", 3), current.privateKey))
    const expired = await refusal(
      Signature.verify(signed, options({ now: new Date("2027-01-01T00:00:00Z") })),
    )
    expect(expired._tag).toBe("ManifestExpiredError")
    const downgrade = await refusal(Signature.verify(signed, options({ accepted: 4 })))
    expect(downgrade).toMatchObject({ _tag: "ManifestDowngradeError", version: 3, accepted: 4 })
    expect((await run(Signature.verify(signed, options({ accepted: 3 })))).version).toBe(3)
    expect(
      (await run(Signature.verify(signed, options({ now: false, accepted: 1 })))).version,
    ).toBe(3)
  })

  it("refuses a manifest signed for another channel than the one asked for, naming both", async () => {
    const signed = await run(Signature.sign(manifestFor("current"), current.privateKey))
    const elsewhere = await refusal(Signature.verify(signed, options({ channel: "beta" })))
    expect(elsewhere._tag).toBe("ManifestSignatureError")
    expect(elsewhere.message).toContain(`signed for channel "stable", not "beta"`)
    expect((await run(Signature.verify(signed, options({ channel: "stable" })))).channel).toBe(
      "stable",
    )
  })

  it("refuses a signed manifest of the wrong shape with ManifestFormatError", async () => {
    const broken: Array<(m: any) => void> = [
      (m) => (m.models[0].chunks[1].size = 41),
      (m) => (m.models[0].version = "1.2"),
      (m) => (m.models[0].name = "../etc/passwd"),
      (m) => (m.models[0].rollout.percent = 101),
      (m) => (m.models[0].sha256 = "A".repeat(64)),
      (m) => m.models.push(m.models[0]),
      (m) => (m.version = 0),
      (m) => (m.expires = "soon"),
      (m) => (m.format = "other/1"),
    ]
    for (const change of broken) {
      const manifest = JSON.parse(JSON.stringify(manifestFor("current")))
      change(manifest)
      const signed = await run(Signature.sign(manifest, current.privateKey))
      const error = await refusal(Signature.verify(signed, options()))
      expect(error._tag).toBe("ManifestFormatError")
    }
  })

  it("refuses hostile envelopes with typed errors, never a crash", async () => {
    for (const json of [
      null,
      42,
      "manifest",
      [],
      {},
      { manifest: [] },
      { manifest: {}, signature: 7 },
    ]) {
      const error = await refusal(Signature.verify(json, options()))
      expect(["ManifestFormatError", "ManifestSignatureError"]).toContain(error._tag)
    }
  })

  it("will not sign with a key the manifest does not name", async () => {
    const error = await refusal(Signature.sign(manifestFor("current"), previous.privateKey))
    expect(error._tag).toBe("KeyError")
  })
})
