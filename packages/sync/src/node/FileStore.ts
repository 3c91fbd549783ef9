/**
 * The spec's `Store` on a Node filesystem, laid out so that a kill -9 or a
 * power cut at any instant leaves a consistent store:
 *
 *   <directory>/state.journal       the state: checksummed JSON lines, the last intact one wins
 *   <directory>/chunks/<ab>/<sha>   whole chunks, named by their sha256 (fanned out like the registry)
 *   <directory>/partials/<sha>      cut downloads, as checksummed frames
 *   <directory>/models/<sha>        whole models, verified against their sha256
 *   <directory>/tmp/                files being written; emptied when the store opens
 *
 * Chunks and models are written into tmp/, flushed, then renamed into
 * place, so a name under chunks/ or models/ always holds a whole file. A
 * model is assembled by streaming its chunks, one at a time, through the
 * hash into its temporary file, and renamed only when the hash is right.
 * The models directory is flushed before `writeModel` returns and the
 * journal after it, so no committed state can outlive, on a power cut, a
 * model it names. Chunk renames are not flushed: a chunk lost that way is
 * fetched again, and a model already holds its own copy of the bytes.
 *
 * Opening recovers: tmp/ is emptied and a torn journal tail dropped (see
 * `StateJournal` for the journal, `PartialFile` for partials). One process
 * owns a store directory at a time: another opening it would empty the
 * first one's tmp/.
 */
import { mkdir, open as openFile, readdir, readFile, rename, rm, stat } from "node:fs/promises"
import { dirname, join, resolve } from "node:path"
import { Effect, Layer } from "effect"
import { createSHA256, type IHasher } from "hash-wasm"
import type { StoreError } from "../Errors.js"
import * as Store from "../Store.js"
import * as Durable from "./Durable.js"
import { failure, isMissing, refusal } from "./FsFailure.js"
import * as PartialFile from "./PartialFile.js"
import * as Serial from "./Serial.js"
import * as StateJournal from "./StateJournal.js"

/** The store with Promises, for code that does not use Effect; failures reject with `StoreError`. */
export interface PromiseStore {
  /** The store's directory, absolute. */
  readonly directory: string
  readonly hasChunk: (sha256: string) => Promise<boolean>
  readonly writeChunk: (sha256: string, bytes: Uint8Array) => Promise<void>
  readonly readChunk: (sha256: string) => Promise<Uint8Array | undefined>
  readonly readPartial: (sha256: string) => Promise<Uint8Array | undefined>
  readonly appendPartial: (sha256: string, bytes: Uint8Array) => Promise<void>
  readonly dropPartial: (sha256: string) => Promise<void>
  readonly writeModel: (sha256: string, chunks: ReadonlyArray<string>) => Promise<void>
  readonly hasModel: (sha256: string) => Promise<boolean>
  readonly readModel: (sha256: string) => Promise<Uint8Array | undefined>
  readonly state: () => Promise<Store.State>
  readonly commit: (next: Store.State) => Promise<void>
  readonly collect: (keepChunks: ReadonlySet<string>) => Promise<void>
}

const SHA256 = /^[0-9a-f]{64}$/i
/** Names this store writes; anything else in its directories is left alone. */
const OWN_NAME = /^[0-9a-f]{64}$/
const FAN_OUT = /^[0-9a-f]{2}$/

const shown = (value: unknown): string => {
  const text = typeof value === "string" ? JSON.stringify(value) : String(value)
  return text.length > 80 ? `${text.slice(0, 77)}…` : text
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const view = (buffer: Buffer): Uint8Array =>
  new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)

/** The store's operations as async functions throwing `StoreError`s (refusals) or fs errors. */
const opened = async (directory: string) => {
  if (typeof directory !== "string" || directory === "") {
    throw refusal(shown(directory), "the store needs a directory path")
  }
  const root = resolve(directory)
  const paths = {
    journal: join(root, "state.journal"),
    chunks: join(root, "chunks"),
    partials: join(root, "partials"),
    models: join(root, "models"),
    tmp: join(root, "tmp"),
  }
  const existing = await stat(root).catch((e: unknown) =>
    isMissing(e) ? undefined : Promise.reject(e),
  )
  if (existing !== undefined && !existing.isDirectory()) {
    throw refusal(root, "this is a file, not a directory: give the store a directory of its own")
  }
  const created = await mkdir(root, { recursive: true })
  let made = created !== undefined
  for (const sub of [paths.chunks, paths.partials, paths.models, paths.tmp]) {
    if ((await mkdir(sub, { recursive: true })) !== undefined) made = true
  }
  // New directories' names must outlive a power cut, like the files in them.
  if (created !== undefined) await Durable.syncDirectory(dirname(created))
  if (made) await Durable.syncDirectory(root)
  // Recovery: whatever tmp/ holds was being written when the last process died.
  for (const name of await readdir(paths.tmp)) {
    await rm(join(paths.tmp, name), { recursive: true, force: true })
  }
  const journal = await StateJournal.open({
    file: paths.journal,
    directory: root,
    temporaryDirectory: paths.tmp,
  })
  // For whole chunks: used synchronously from init to digest, so calls cannot interleave.
  const chunkHasher = await createSHA256()
  const serial = Serial.make()

  const nameOf = (what: string, value: unknown): string => {
    if (typeof value !== "string" || !SHA256.test(value)) {
      throw refusal(
        root,
        `${what} ${shown(value)} is not a sha256 (64 hex digits); the store names files by sha256 only`,
      )
    }
    return value.toLowerCase()
  }
  const bytesOf = (what: string, value: unknown): Uint8Array => {
    if (!(value instanceof Uint8Array)) {
      throw refusal(root, `${what} must be a Uint8Array, not ${shown(value)}`)
    }
    return value
  }
  const chunkPath = (name: string) => join(paths.chunks, name.slice(0, 2), name)
  const modelPath = (name: string) => join(paths.models, name)
  const partialPath = (name: string) => join(paths.partials, name)
  const isFile = (path: string) =>
    stat(path).then(
      (s) => s.isFile(),
      (e: unknown) => (isMissing(e) ? false : Promise.reject(e)),
    )
  const readIfThere = (path: string) =>
    readFile(path).then(view, (e: unknown) => (isMissing(e) ? undefined : Promise.reject(e)))
  const sha256Of = (bytes: Uint8Array) => chunkHasher.init().update(bytes).digest("hex")

  /** Reads a chunk file into `scratch` (grown as needed): the model assembly's only buffer. */
  const readChunkInto = async (path: string, scratch: { buffer: Buffer }) => {
    const handle = await openFile(path, "r")
    try {
      const { size } = await handle.stat()
      if (scratch.buffer.length < size) scratch.buffer = Buffer.allocUnsafe(size)
      let at = 0
      while (at < size) {
        const { bytesRead } = await handle.read(scratch.buffer, at, size - at, at)
        if (bytesRead === 0) break
        at += bytesRead
      }
      return scratch.buffer.subarray(0, at)
    } finally {
      await handle.close()
    }
  }

  const assemble = async (
    name: string,
    chunks: ReadonlyArray<string>,
    temporary: string,
    signal: AbortSignal,
  ) => {
    const hasher: IHasher = await createSHA256()
    hasher.init()
    const scratch = { buffer: Buffer.allocUnsafe(256 * 1024) }
    const out = await openFile(temporary, "wx")
    try {
      for (const [i, chunk] of chunks.entries()) {
        signal.throwIfAborted()
        const bytes = await readChunkInto(chunkPath(chunk), scratch).catch((e: unknown) =>
          Promise.reject(
            isMissing(e)
              ? refusal(
                  root,
                  `cannot assemble the model ${name}: its chunk ${i + 1} of ${chunks.length} (${chunk}) is not in the store; write every chunk before the model`,
                )
              : e,
          ),
        )
        hasher.update(bytes)
        await Durable.writeAll(out, bytes)
      }
      await out.sync()
    } finally {
      await out.close()
    }
    const actual = hasher.digest("hex")
    if (actual !== name) {
      throw refusal(
        root,
        `the chunks make a model hashing to ${actual}, not ${name}: the chunk list does not match the manifest, or a chunk is damaged on disk; nothing was written`,
      )
    }
  }

  const modelsNamed = (state: Store.State) => {
    const names = new Set<string>()
    for (const model of Object.values(state.models)) {
      names.add(model.active.sha256.toLowerCase())
      if (model.previous !== undefined) names.add(model.previous.sha256.toLowerCase())
    }
    return names
  }

  const listFiles = async (path: string) =>
    (await readdir(path, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name)

  return {
    root,
    hasChunk: async (sha256: string) => isFile(chunkPath(nameOf("the chunk", sha256))),
    readChunk: async (sha256: string) => readIfThere(chunkPath(nameOf("the chunk", sha256))),
    writeChunk: async (sha256: string, bytes: Uint8Array) => {
      const name = nameOf("the chunk", sha256)
      const whole = bytesOf(`the chunk ${name}`, bytes)
      // The caller verified it; checking again costs little and keeps a
      // wrong name out of a content-addressed store.
      const actual = sha256Of(whole)
      if (actual !== name) {
        throw refusal(
          root,
          `the bytes given for the chunk ${name} hash to ${actual}: verify a chunk before writing it; nothing was written`,
        )
      }
      const target = chunkPath(name)
      if (await isFile(target)) return
      await mkdir(dirname(target), { recursive: true })
      await Durable.writeFile(target, whole, {
        temporaryDirectory: paths.tmp,
        label: `chunk-${name.slice(0, 16)}`,
      })
    },
    readPartial: async (sha256: string) => {
      const name = nameOf("the partial chunk", sha256)
      return serial.run(`partial ${name}`, () => PartialFile.read(partialPath(name)))
    },
    appendPartial: async (sha256: string, bytes: Uint8Array) => {
      const name = nameOf("the partial chunk", sha256)
      const more = bytesOf(`the bytes appended to the partial chunk ${name}`, bytes)
      if (more.length === 0) return
      if (more.length > 0xffffffff) {
        throw refusal(root, `an append of ${more.length} bytes is larger than any chunk`)
      }
      await serial.run(`partial ${name}`, () => PartialFile.append(partialPath(name), more))
    },
    dropPartial: async (sha256: string) => {
      const name = nameOf("the partial chunk", sha256)
      await serial.run(`partial ${name}`, () => rm(partialPath(name), { force: true }))
    },
    writeModel: async (sha256: string, chunks: ReadonlyArray<string>, signal: AbortSignal) => {
      const name = nameOf("the model", sha256)
      if (!Array.isArray(chunks)) {
        throw refusal(root, `the chunks of the model ${name} must be a list of sha256s`)
      }
      const names = chunks.map((chunk, i) => nameOf(`chunk ${i + 1} of the model ${name}`, chunk))
      const target = modelPath(name)
      if (!(await isFile(target))) {
        const temporary = Durable.temporaryPath(paths.tmp, `model-${name.slice(0, 16)}`)
        try {
          await assemble(name, names, temporary, signal)
          await rename(temporary, target)
        } catch (e) {
          await rm(temporary, { force: true })
          throw e
        }
      }
      // Before any commit can name it (see the header); also when it was
      // there already, since the call that renamed it may have failed here.
      await Durable.syncDirectory(paths.models)
    },
    hasModel: async (sha256: string) => isFile(modelPath(nameOf("the model", sha256))),
    readModel: async (sha256: string) => readIfThere(modelPath(nameOf("the model", sha256))),
    state: () => journal.current().state,
    commit: async (next: Store.State) =>
      serial.run("state", async () => {
        if (!isObject(next) || !isObject(next.models) || !isObject(next.channels)) {
          throw refusal(root, `a state is { models, channels }, not ${shown(next)}`)
        }
        for (const [model, entry] of Object.entries(next.models)) {
          if (!isObject(entry)) {
            throw refusal(root, `the state's entry for ${model} must be { active, previous? }`)
          }
          for (const role of ["active", "previous"] as const) {
            const installed = entry[role]
            if (role === "previous" && installed === undefined) continue
            const sha = nameOf(`${model}'s ${role} model`, installed?.sha256)
            if (!(await isFile(modelPath(sha)))) {
              throw refusal(
                root,
                `the state names ${model}@${installed?.version} (${role}, ${sha}), whose model is not in the store: write it with writeModel before committing a state that names it; the state is unchanged`,
              )
            }
          }
        }
        await journal.commit(next)
      }),
    collect: async (keepChunks: ReadonlySet<string>) => {
      if (
        typeof keepChunks !== "object" ||
        keepChunks === null ||
        !(Symbol.iterator in keepChunks)
      ) {
        throw refusal(root, "collect takes the set of chunk sha256s to keep")
      }
      const keep = new Set([...keepChunks].map((chunk) => nameOf("a chunk to keep", chunk)))
      // Under the state's lock: a commit cannot name a model while it is being deleted.
      await serial.run("state", async () => {
        const models = modelsNamed(journal.current().state)
        for (const name of await listFiles(paths.models)) {
          if (OWN_NAME.test(name) && !models.has(name)) await rm(modelPath(name), { force: true })
        }
        for (const fan of await readdir(paths.chunks, { withFileTypes: true })) {
          if (!fan.isDirectory() || !FAN_OUT.test(fan.name)) continue
          for (const name of await listFiles(join(paths.chunks, fan.name))) {
            if (OWN_NAME.test(name) && !keep.has(name)) await rm(chunkPath(name), { force: true })
          }
        }
        for (const name of await listFiles(paths.partials)) {
          if (!OWN_NAME.test(name)) continue
          // Stale: a chunk nothing needs, or one that is already whole.
          if (!keep.has(name) || (await isFile(chunkPath(name)))) {
            await serial.run(`partial ${name}`, () => rm(partialPath(name), { force: true }))
          }
        }
        // Deletions are not flushed: one a power cut undoes is made again by the next collect.
      })
    },
  }
}

type Opened = Awaited<ReturnType<typeof opened>>

/** A sha256 as it is, anything else quoted (so a hostile value shows as what it is). */
const label = (value: unknown) =>
  typeof value === "string" && SHA256.test(value) ? value.toLowerCase() : shown(value)

const shapeOf = (store: Opened): Store.Shape => {
  const attempt = <A>(what: string, run: (signal: AbortSignal) => Promise<A>) =>
    Effect.tryPromise({ try: run, catch: (e) => failure(store.root, what, e) })
  return {
    hasChunk: (sha256) =>
      attempt(`look for the chunk ${label(sha256)}`, () => store.hasChunk(sha256)),
    writeChunk: (sha256, bytes) =>
      attempt(`write the chunk ${label(sha256)}`, () => store.writeChunk(sha256, bytes)),
    readChunk: (sha256) =>
      attempt(`read the chunk ${label(sha256)}`, () => store.readChunk(sha256)),
    readPartial: (sha256) =>
      attempt(`read the partial chunk ${label(sha256)}`, () => store.readPartial(sha256)),
    appendPartial: (sha256, bytes) =>
      attempt(`append to the partial chunk ${label(sha256)}`, () =>
        store.appendPartial(sha256, bytes),
      ),
    dropPartial: (sha256) =>
      attempt(`drop the partial chunk ${label(sha256)}`, () => store.dropPartial(sha256)),
    writeModel: (sha256, chunks) =>
      attempt(`assemble the model ${label(sha256)}`, (signal) =>
        store.writeModel(sha256, chunks, signal),
      ),
    hasModel: (sha256) =>
      attempt(`look for the model ${label(sha256)}`, () => store.hasModel(sha256)),
    readModel: (sha256) =>
      attempt(`read the model ${label(sha256)}`, () => store.readModel(sha256)),
    state: Effect.sync(store.state),
    commit: (next) => attempt("commit the state", () => store.commit(next)),
    collect: (keepChunks) => attempt("collect garbage", () => store.collect(keepChunks)),
  }
}

/** Opens (making it if missing, recovering it after a crash) the store in `directory`. */
export const make = (directory: string): Effect.Effect<Store.Shape, StoreError> =>
  Effect.tryPromise({
    try: () => opened(directory),
    catch: (e) =>
      failure(
        typeof directory === "string" ? resolve(directory) : shown(directory),
        "open the store",
        e,
      ),
  }).pipe(Effect.map(shapeOf))

/** The store in `directory` as the `Store` service. */
export const layer = (directory: string): Layer.Layer<Store.Store, StoreError> =>
  Layer.effect(Store.Store, make(directory))

/** `make` with Promises. */
export const open = async (directory: string): Promise<PromiseStore> => {
  const store = await Effect.runPromise(make(directory))
  const run = <A>(effect: Effect.Effect<A, StoreError>) => Effect.runPromise(effect)
  return {
    directory: resolve(directory),
    hasChunk: (sha256) => run(store.hasChunk(sha256)),
    writeChunk: (sha256, bytes) => run(store.writeChunk(sha256, bytes)),
    readChunk: (sha256) => run(store.readChunk(sha256)),
    readPartial: (sha256) => run(store.readPartial(sha256)),
    appendPartial: (sha256, bytes) => run(store.appendPartial(sha256, bytes)),
    dropPartial: (sha256) => run(store.dropPartial(sha256)),
    writeModel: (sha256, chunks) => run(store.writeModel(sha256, chunks)),
    hasModel: (sha256) => run(store.hasModel(sha256)),
    readModel: (sha256) => run(store.readModel(sha256)),
    state: () => run(store.state),
    commit: (next) => run(store.commit(next)),
    collect: (keepChunks) => run(store.collect(keepChunks)),
  }
}
