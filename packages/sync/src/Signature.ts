/**
 * Ed25519 signatures over a manifest, with WebCrypto (browsers, Web Workers
 * and Node alike). What is signed is the manifest's canonical JSON (RFC 8785,
 * `canonicalize`), so any re-serialisation of the same manifest verifies.
 * A signed manifest is `{ manifest, signature }`; the manifest names its key
 * (`keyId`), and a device trusts a set of public keys, so keys rotate by
 * publishing under a new key once devices trust both.
 *
 * Verification checks, in order: the envelope, the key, the signature (over
 * the manifest exactly as received, before anything is dropped by
 * decoding), the manifest's shape, that it was signed for the channel
 * asked for, its expiry, and that its version is not below one already
 * accepted.
 */
import canonicalize from "canonicalize"
import { Effect } from "effect"
import {
  KeyError,
  ManifestDowngradeError,
  ManifestExpiredError,
  ManifestFormatError,
  ManifestSignatureError,
} from "./Errors.js"
import * as Manifest from "./Manifest.js"

/** A public key as a JWK (`kty` OKP, `crv` Ed25519, `x`), named by `kid`. */
export interface PublicKey {
  readonly kty: "OKP"
  readonly crv: "Ed25519"
  readonly x: string
  readonly kid: string
}

/** A private key as a JWK (`d` besides the public part). Keep it off devices and out of the registry. */
export interface PrivateKey extends PublicKey {
  readonly d: string
}

export interface KeyPair {
  readonly publicKey: PublicKey
  readonly privateKey: PrivateKey
}

export interface Signed {
  readonly manifest: Manifest.Manifest
  /** base64url Ed25519 signature of the manifest's canonical JSON. */
  readonly signature: string
}

const ED25519 = { name: "Ed25519" } as const

const base64url = (bytes: Uint8Array): string => {
  let binary = ""
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")
}

const fromBase64url = (text: string): Uint8Array | undefined => {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"))
  return Uint8Array.from(binary, (c) => c.charCodeAt(0))
}

const canonicalBytes = (value: unknown): Uint8Array =>
  new TextEncoder().encode(canonicalize(value) ?? "")

/** A key's default name: the start of the sha256 of its public bytes, so two keys never share one. */
const fingerprint = (x: string) =>
  Effect.promise(async () => {
    const digest = new Uint8Array(
      await crypto.subtle.digest("SHA-256", (fromBase64url(x) ?? new Uint8Array()) as BufferSource),
    )
    return `ed25519-${base64url(digest).slice(0, 16)}`
  })

/** A new Ed25519 key pair; `kid` names it (default: its fingerprint). */
export const generate = (kid?: string): Effect.Effect<KeyPair, KeyError> =>
  Effect.gen(function* () {
    const pair = yield* Effect.tryPromise({
      try: () =>
        crypto.subtle.generateKey(ED25519, true, ["sign", "verify"]) as Promise<CryptoKeyPair>,
      catch: (e) =>
        new KeyError({
          message: `this platform's WebCrypto cannot make Ed25519 keys (${String(e)}); Node ≥ 20 and current browsers can`,
        }),
    })
    const jwk = yield* Effect.promise(() => crypto.subtle.exportKey("jwk", pair.privateKey))
    const name = kid ?? (yield* fingerprint(jwk.x!))
    const publicKey: PublicKey = { kty: "OKP", crv: "Ed25519", x: jwk.x!, kid: name }
    return { publicKey, privateKey: { ...publicKey, d: jwk.d! } }
  })

/** The public half of a private key, to hand to devices. */
export const publicOf = (key: PrivateKey): PublicKey => ({
  kty: "OKP",
  crv: "Ed25519",
  x: key.x,
  kid: key.kid,
})

const importKey = (jwk: PublicKey | PrivateKey, usage: "sign" | "verify") =>
  Effect.tryPromise({
    try: () =>
      crypto.subtle.importKey(
        "jwk",
        usage === "sign"
          ? { kty: "OKP", crv: "Ed25519", x: jwk.x, d: (jwk as PrivateKey).d }
          : { kty: "OKP", crv: "Ed25519", x: jwk.x },
        ED25519,
        false,
        [usage],
      ),
    catch: (e) =>
      new KeyError({
        message: `key "${jwk.kid}" is not a usable Ed25519 ${usage === "sign" ? "private" : "public"} key (${String(e)}); make one with \`edgeline sync keygen\``,
      }),
  })

/** Signs `manifest` with `key`, whose `kid` must be the manifest's `keyId`. */
export const sign = (
  manifest: Manifest.Manifest,
  key: PrivateKey,
): Effect.Effect<Signed, KeyError> =>
  Effect.gen(function* () {
    if (manifest.keyId !== key.kid) {
      return yield* new KeyError({
        message: `the manifest names key "${manifest.keyId}" but the key given is "${key.kid}"`,
      })
    }
    const cryptoKey = yield* importKey(key, "sign")
    const signature = yield* Effect.promise(() =>
      crypto.subtle.sign(ED25519, cryptoKey, canonicalBytes(manifest) as BufferSource),
    )
    return { manifest, signature: base64url(new Uint8Array(signature)) }
  })

export interface VerifyOptions {
  /** The keys the device trusts, by `kid`. */
  readonly trusted: ReadonlyArray<PublicKey>
  /** The time to check expiry against (default now); `false` skips the check (a publisher reading its own last manifest). */
  readonly now?: Date | false | undefined
  /** The highest manifest version already accepted on this channel: a lower one is refused. */
  readonly accepted?: number | undefined
  /**
   * The channel whose manifest this should be: one signed for another
   * channel (a beta manifest served as stable's) is refused, since its
   * signature does not vouch for this one.
   */
  readonly channel?: string | undefined
}

export type VerifyError =
  | ManifestFormatError
  | ManifestSignatureError
  | ManifestExpiredError
  | ManifestDowngradeError

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** The manifest in a signed envelope (parsed JSON), once every check passes. */
export const verify = (
  json: unknown,
  options: VerifyOptions,
): Effect.Effect<Manifest.Manifest, VerifyError> =>
  Effect.gen(function* () {
    if (!isRecord(json) || !isRecord(json.manifest)) {
      return yield* new ManifestFormatError({
        message: "not a signed manifest: expected a JSON object { manifest, signature }",
      })
    }
    const raw = json.manifest
    const keyId = typeof raw.keyId === "string" ? raw.keyId : undefined
    if (typeof json.signature !== "string" || json.signature === "") {
      return yield* new ManifestSignatureError({
        message: "the manifest is unsigned: the registry must publish it signed",
        keyId,
      })
    }
    const key = options.trusted.find((k) => k.kid === keyId)
    if (key === undefined) {
      return yield* new ManifestSignatureError({
        message: `the manifest is signed by ${keyId === undefined ? "no named key" : `key "${keyId}"`}, which this device does not trust (it trusts ${options.trusted.map((k) => `"${k.kid}"`).join(", ") || "no keys"}); add its public key to the trusted keys`,
        keyId,
      })
    }
    const signature = fromBase64url(json.signature)
    const cryptoKey = yield* Effect.mapError(
      importKey(key, "verify"),
      (e) => new ManifestSignatureError({ message: e.message, keyId }),
    )
    const valid =
      signature !== undefined &&
      (yield* Effect.promise(() =>
        crypto.subtle.verify(
          ED25519,
          cryptoKey,
          signature as BufferSource,
          canonicalBytes(raw) as BufferSource,
        ),
      ))
    if (!valid) {
      return yield* new ManifestSignatureError({
        message: `the manifest's signature does not verify with key "${keyId}": it was altered, or signed by another key`,
        keyId,
      })
    }
    const manifest = yield* Manifest.decode(raw)
    if (options.channel !== undefined && manifest.channel !== options.channel) {
      return yield* new ManifestSignatureError({
        message: `the manifest is signed for channel "${manifest.channel}", not "${options.channel}": refused (a manifest of another channel served in its place)`,
        keyId,
      })
    }
    const now = options.now ?? new Date()
    if (now !== false && Date.parse(manifest.expires) <= now.getTime()) {
      return yield* new ManifestExpiredError({
        message: `the manifest of channel "${manifest.channel}" expired at ${manifest.expires}; the registry must publish a fresh one`,
        expires: manifest.expires,
      })
    }
    if (options.accepted !== undefined && manifest.version < options.accepted) {
      return yield* new ManifestDowngradeError({
        message: `manifest version ${manifest.version} of channel "${manifest.channel}" is older than version ${options.accepted}, already accepted: refused as a replay`,
        version: manifest.version,
        accepted: options.accepted,
      })
    }
    return manifest
  })
