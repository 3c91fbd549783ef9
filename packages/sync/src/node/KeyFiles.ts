/**
 * Key pairs as files: `<kid>.key.json` (the private JWK: keep it secret, off
 * devices and out of the registry) and `<kid>.pub.json` (the public JWK a
 * device trusts and the registry publishes under keys/).
 */
import { access, readFile } from "node:fs/promises"
import { join } from "node:path"
import { Effect } from "effect"
import { KeyError } from "../Errors.js"
import { messageOf } from "../internal/messageOf.js"
import * as Signature from "../Signature.js"
import * as AtomicFile from "./AtomicFile.js"

export interface Written {
  readonly kid: string
  readonly privateKeyPath: string
  readonly publicKeyPath: string
}

/** Makes a key pair and writes both files into `directory`; refuses to overwrite a key. */
export const generate = (directory: string, kid?: string): Effect.Effect<Written, KeyError> =>
  Effect.gen(function* () {
    const pair = yield* Signature.generate(kid)
    const privateKeyPath = join(directory, `${pair.privateKey.kid}.key.json`)
    const publicKeyPath = join(directory, `${pair.publicKey.kid}.pub.json`)
    yield* Effect.tryPromise({
      try: async () => {
        const exists = await access(privateKeyPath).then(
          () => true,
          () => false,
        )
        if (exists) throw new Error(`${privateKeyPath} exists; choose another key id`)
        await AtomicFile.write(privateKeyPath, `${JSON.stringify(pair.privateKey, null, 2)}\n`)
        await AtomicFile.write(publicKeyPath, `${JSON.stringify(pair.publicKey, null, 2)}\n`)
      },
      catch: (e) => new KeyError({ message: `could not write the key pair: ${messageOf(e)}` }),
    })
    return { kid: pair.privateKey.kid, privateKeyPath, publicKeyPath }
  })

const isKey = (value: unknown, needsPrivate: boolean): boolean => {
  const v = value as Record<string, unknown> | null
  return (
    typeof v === "object" &&
    v !== null &&
    v.kty === "OKP" &&
    v.crv === "Ed25519" &&
    typeof v.x === "string" &&
    typeof v.kid === "string" &&
    (!needsPrivate || typeof v.d === "string")
  )
}

const readKey = (path: string, needsPrivate: boolean) =>
  Effect.tryPromise({
    try: async () => JSON.parse(await readFile(path, "utf8")) as unknown,
    catch: (e) => new KeyError({ message: `could not read the key ${path}: ${messageOf(e)}` }),
  }).pipe(
    Effect.flatMap((json) =>
      isKey(json, needsPrivate)
        ? Effect.succeed(json)
        : Effect.fail(
            new KeyError({
              message: `${path} is not an Ed25519 ${needsPrivate ? "private" : "public"} key (JWK with kty OKP, crv Ed25519, x${needsPrivate ? ", d" : ""} and kid); make one with \`edgeline sync keygen\``,
            }),
          ),
    ),
  )

export const readPrivate = (path: string): Effect.Effect<Signature.PrivateKey, KeyError> =>
  readKey(path, true) as Effect.Effect<Signature.PrivateKey, KeyError>

export const readPublic = (path: string): Effect.Effect<Signature.PublicKey, KeyError> =>
  Effect.map(readKey(path, false), (json) => Signature.publicOf(json as Signature.PrivateKey))
