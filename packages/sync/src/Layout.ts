/**
 * Where things live in a registry: plain relative paths, so a directory, a
 * static host, a CDN or an S3 bucket serves a fleet of any size unchanged.
 *
 *   channels/<channel>.json       the channel's signed manifest
 *   blobs/sha256/<ab>/<abcd…>     a chunk, named by its content
 *   keys/<kid>.json               public keys (for `verify`; devices bring their own trust)
 */
export const manifestPath = (channel: string): string => `channels/${channel}.json`

/** Blobs fan out by their first two hex digits, so no directory grows past a few thousand entries. */
export const blobPath = (sha256: string): string => `blobs/sha256/${sha256.slice(0, 2)}/${sha256}`

export const keyPath = (kid: string): string => `keys/${kid}.json`
