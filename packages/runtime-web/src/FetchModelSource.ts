/**
 * A `ModelSource` over `fetch`, kept in Cache Storage so a model loaded once
 * is there offline. Refs whose `uri` is not a URL (e.g. `npm:` specs) are
 * mapped to URLs by the `models` option — with Vite, `?url` imports.
 *
 * With a `sha256` the ref names immutable bytes: the cache answers first and
 * the network is asked only on a miss. Without one, the network answers first
 * and the cache is the fallback when offline.
 */
import { ModelRef, ModelSource } from "@edgeline/core"
import { Layer } from "effect"
import { messageOf } from "./internal/messageOf.js"
import { sha256Hex } from "./Sha256.js"

export interface Options {
  /** URL for a ref, by its `uri` or its `name`. */
  readonly models?: Readonly<Record<string, string>> | undefined
  /** Cache Storage name, or false for no cache (default "edgeline-models"). */
  readonly cacheName?: string | false | undefined
}

const urlFor = (ref: ModelRef.ModelRef, options: Options): string | undefined => {
  const mapped = options.models?.[ref.uri] ?? options.models?.[ref.name]
  if (mapped !== undefined) return mapped
  return /^(https?:|blob:|data:|\/|\.\.?\/)/.test(ref.uri) ? ref.uri : undefined
}

const openCache = async (name: string | false | undefined): Promise<Cache | undefined> => {
  if (name === false || typeof caches === "undefined") return undefined
  try {
    return await caches.open(name ?? "edgeline-models")
  } catch {
    return undefined
  }
}

const download = async (ref: ModelRef.ModelRef, url: string, cache: Cache | undefined) => {
  let response: Response
  try {
    response = await fetch(url)
  } catch (e) {
    const cached = await cache?.match(url)
    if (cached) return cached.arrayBuffer()
    throw ModelSource.notFound(
      ref,
      `cannot fetch ${url} (${messageOf(e)}) and it is not cached yet`,
    )
  }
  if (!response.ok)
    throw ModelSource.notFound(ref, `HTTP ${response.status} for ${url}; check the URL`)
  // Cached as it streams in (no second copy of the model); a pinned ref's bytes are
  // checked on every load, cache hits included, so a bad download never stays trusted.
  // A full quota or a private window may refuse to cache: the model still loads.
  const caching = cache?.put(url, response.clone()).catch(() => undefined)
  const bytes = await response.arrayBuffer()
  await caching
  return bytes
}

export const layer = (options: Options = {}): Layer.Layer<ModelSource.ModelSource> =>
  Layer.succeed(ModelSource.ModelSource)({
    resolve: (ref) =>
      ModelSource.fromPromise(ref, async () => {
        const url = urlFor(ref, options)
        if (url === undefined) {
          throw ModelSource.notFound(
            ref,
            `no URL for it: pass { models: { "${ref.uri}": url } } to the web runtime`,
          )
        }
        const cache = await openCache(options.cacheName)
        const hit = ref.sha256 === undefined ? undefined : await cache?.match(url)
        const bytes = hit ? await hit.arrayBuffer() : await download(ref, url, cache)
        if (ref.sha256 !== undefined) {
          const actual = await sha256Hex(bytes)
          if (!ModelRef.sha256Matches(ref, actual)) {
            await cache?.delete(url)
            throw ModelSource.sha256Mismatch(ref, actual)
          }
        }
        return new Uint8Array(bytes)
      }),
  })
