/** What the playground server tells the page at `/api/config` (server/Playground.ts). */
import type { Signature } from "@edgeline/sync"

export interface Config {
  /** The registry channel the page syncs. */
  readonly channel: string
  readonly trustedKeys: ReadonlyArray<Signature.PublicKey>
  readonly online: boolean
  /** The cloud's chat model (the triage teacher) and its speech recogniser. */
  readonly chatModel: string
  readonly transcriptionModel: string
  /** Where the cloud and the registry really are, for the CLI and for curl (the page goes through /cloud/ and /registry/). */
  readonly cloudUrl: string
  readonly registryUrl: string
}

/** The same-origin paths the page uses: the server's offline switch sits on them. */
export const cloudBase = (origin: string) => `${origin}/cloud/v1`
export const registryBase = (origin: string) => `${origin}/registry/`

export const load = async (): Promise<Config> => {
  const response = await fetch("/api/config")
  if (!response.ok) throw new Error(`/api/config answered ${response.status}`)
  return (await response.json()) as Config
}
