import { createHash } from "node:crypto"

/** Hex SHA-256 of model bytes: the key of the session cache and the check of a pinned ref. */
export const sha256 = (bytes: Uint8Array): string =>
  createHash("sha256").update(bytes).digest("hex")
