/**
 * The sha256 of model bytes, for a backend whose adapter brings no hash of
 * its own: WebCrypto, which browsers and Node (≥ 19) both have as a global.
 * Core names no platform API in its types, so it is reached structurally.
 */
interface SubtleLike {
  digest(algorithm: string, data: Uint8Array): Promise<ArrayBuffer>
}

export const sha256Hex = async (bytes: Uint8Array): Promise<string> => {
  const subtle = (globalThis as { crypto?: { subtle?: SubtleLike } }).crypto?.subtle
  if (subtle === undefined) {
    throw new Error(
      "this platform has no WebCrypto (crypto.subtle) to hash model bytes; give the backend's adapter a `hash`",
    )
  }
  const digest = new Uint8Array(await subtle.digest("SHA-256", bytes))
  let hex = ""
  for (const byte of digest) hex += byte.toString(16).padStart(2, "0")
  return hex
}
