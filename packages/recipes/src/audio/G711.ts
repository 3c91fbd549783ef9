/**
 * G.711 A-law and µ-law, decoded by `alawmulaw` into lookup tables: each
 * 8-bit code's 16-bit linear value, built once on first use.
 *
 * alawmulaw is CommonJS (a UMD bundle) under Node and ESM under bundlers (its
 * `module` field): under Node its exports hang off the default export, under
 * Vite they are named exports. The namespace is read through a function, not
 * as `alawmulaw.default`, because a bundler that sees a static `.default` on
 * an ESM module without one warns that it is always undefined.
 */
import * as alawmulaw from "alawmulaw"

type Codecs = typeof alawmulaw

const member = (namespace: object, name: string): unknown =>
  (namespace as Record<string, unknown>)[name]

const codecs = (): Codecs =>
  (member(alawmulaw, "alaw") !== undefined ? alawmulaw : member(alawmulaw, "default")) as Codecs

const ALL_CODES = Uint8Array.from({ length: 256 }, (_, code) => code)

let alawTable: Int16Array | undefined
let mulawTable: Int16Array | undefined

/** The linear 16-bit value of each A-law code (index = the code byte). */
export const alaw = (): Int16Array => (alawTable ??= codecs().alaw.decode(ALL_CODES))

/** The linear 16-bit value of each µ-law code (index = the code byte). */
export const mulaw = (): Int16Array => (mulawTable ??= codecs().mulaw.decode(ALL_CODES))
