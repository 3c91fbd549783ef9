/**
 * onnxruntime-node sessions from a per-user cache of optimized models: the
 * CLI's start-up is a large share of a short run, and about half of a small
 * model's session creation is ORT optimizing its graph. The first run saves
 * the optimized graph in ORT's own format (`optimizedModelFilePath`, format
 * "ORT"); later runs load that, with nothing left to optimize (Silero v5:
 * ≈ 35 ms instead of ≈ 60 ms, the same probabilities bit for bit).
 *
 * A cached file is named by what it was made from: the model's sha256, this
 * onnxruntime's version, the session options and the CPU (an "all"-level
 * graph may hold kernels for this CPU's instruction set). A file that does
 * not load is made again; a cache that cannot be written costs nothing but
 * the saving. `EDGELINE_CACHE_DIR` moves it (default
 * `$XDG_CACHE_HOME/edgeline`, else `~/.cache/edgeline`), `EDGELINE_CACHE=off`
 * turns it off.
 *
 * A cached graph runs instead of the model's verified bytes, so the cache is
 * used only from a directory this user owns that nobody else can write
 * (made 0700): a file planted by someone else is never loaded.
 */
import { createHash, randomUUID } from "node:crypto"
import { constants } from "node:fs"
import { access, mkdir, rename, rm, stat } from "node:fs/promises"
import { arch, cpus, homedir } from "node:os"
import { join } from "node:path"
import { OnnxBackend } from "@edgeline/runtime-node"
import * as ort from "onnxruntime-node"

const sha256 = (data: Uint8Array | string): string =>
  createHash("sha256").update(data).digest("hex")

/** Where the cache lives, or undefined when it is turned off. */
export const directory = (env: NodeJS.ProcessEnv = process.env): string | undefined => {
  if (env.EDGELINE_CACHE === "off") return undefined
  if (env.EDGELINE_CACHE_DIR) return join(env.EDGELINE_CACHE_DIR, "onnxruntime")
  const base = env.XDG_CACHE_HOME || join(homedir(), ".cache")
  return join(base, "edgeline", "onnxruntime")
}

/** Whether the cache can take a new file (made if missing, for this user alone). */
const writable = (dir: string): Promise<boolean> =>
  mkdir(dir, { recursive: true, mode: 0o700 })
    .then(() => access(dir, constants.W_OK))
    .then(
      () => true,
      () => false,
    )

/** Whether what is in `dir` can be trusted: this user's, and writable by nobody else. */
const private_ = async (dir: string): Promise<boolean> => {
  const info = await stat(dir).catch(() => undefined)
  if (info === undefined) return true // not made yet: `writable` makes it 0700
  const uid = process.getuid?.()
  return (uid === undefined || info.uid === uid) && (info.mode & 0o022) === 0
}

/** The cached file for a model made with these options, on this onnxruntime and CPU. */
const fileFor = (dir: string, modelSha256: string, options: object): string =>
  join(
    dir,
    `${sha256(
      JSON.stringify({
        model: modelSha256.toLowerCase(),
        onnxruntime: ort.env.versions.node,
        options,
        cpu: `${arch()} ${cpus()[0]?.model ?? "unknown"}`,
      }),
    )}.ort`,
  )

/**
 * The backend's `createSession` over the cache in `dir` (no cache when
 * undefined): the same session options `OnnxBackend` uses, so the results
 * are those of an uncached session.
 */
export const createSession =
  (dir: string | undefined = directory()): OnnxBackend.CreateSession =>
  async (model, load) => {
    const options = OnnxBackend.ortSessionOptions(load)
    if (dir === undefined || !(await private_(dir))) {
      return ort.InferenceSession.create(model.bytes, options)
    }
    const file = fileFor(dir, model.sha256 ?? sha256(model.bytes), options)
    try {
      return await ort.InferenceSession.create(file, options)
    } catch {
      // Not cached yet, or a file that does not load (cut short, another version): make it.
    }
    if (!(await writable(dir))) return ort.InferenceSession.create(model.bytes, options)
    // Written under a name of this process's own, then renamed: a concurrent run never loads half a file.
    const partial = `${file}.${randomUUID()}.partial`
    let session: ort.InferenceSession
    try {
      session = await ort.InferenceSession.create(model.bytes, {
        ...options,
        optimizedModelFilePath: partial,
        extra: { session: { save_model_format: "ORT" } },
      })
    } catch {
      await rm(partial, { force: true }).catch(() => undefined)
      // Saving failed (a full disk), or the model is not one ORT loads: then this fails with its own error.
      return ort.InferenceSession.create(model.bytes, options)
    }
    await rename(partial, file).catch(() => rm(partial, { force: true }).catch(() => undefined))
    return session
  }
