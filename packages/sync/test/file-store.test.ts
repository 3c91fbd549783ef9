/**
 * The Node file store on real files: the `Store` contract (round trips,
 * writes that land whole, a wrong-hash model refused with nothing left,
 * commits that name missing models refused, garbage collection, hostile
 * names refused before the disk is touched), what recovery does with what
 * a crash leaves, a full disk and a forbidden directory as errors that say
 * so, a 200 MB model assembled in flat memory, and 50 kill -9 of a child
 * process in the middle of its work.
 */
import { execFile, spawn } from "node:child_process"
import { createHash } from "node:crypto"
import { createReadStream } from "node:fs"
import {
  appendFile,
  chmod,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  writeFile,
} from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { Store, StoreError } from "@edgeline/sync"
import { FileStore } from "@edgeline/sync/node"
import { Effect } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { failure } from "../src/node/FsFailure.js"
import { bundle } from "./support/bundle.js"
import * as StoreDirectory from "./support/StoreDirectory.js"
import { CHUNK_IDS, chunkBytes, random } from "./support/store-content.mjs"

const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)
const refusal = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(Effect.flip(effect))
const exec = promisify(execFile)

const support = (name: string) => fileURLToPath(new URL(`./support/${name}`, import.meta.url))

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})
const scratch = async () => {
  const dir = await mkdtemp(join(tmpdir(), "edgeline-store-"))
  cleanups.push(() => rm(dir, { recursive: true, force: true }))
  return dir
}

const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex")
const same = (a: Uint8Array | undefined, b: Uint8Array) =>
  a !== undefined && a.length === b.length && Buffer.compare(a, b) === 0
const concat = (...parts: ReadonlyArray<Uint8Array>) => Buffer.concat(parts)

const installed = (sha256: string, size: number, version: string): Store.Installed => ({
  version,
  sha256,
  size,
  activated: "2026-12-01T00:00:00.000Z",
})

/** Writes the chunks, then the model made of them. */
const model = async (store: Store.Shape, ...chunks: ReadonlyArray<Uint8Array>) => {
  for (const chunk of chunks) await run(store.writeChunk(sha(chunk), chunk))
  const bytes = concat(...chunks)
  await run(store.writeModel(sha(bytes), chunks.map(sha)))
  return { sha256: sha(bytes), size: bytes.length, chunks: chunks.map(sha) }
}

describe("FileStore: the Store contract on real files", () => {
  it("round-trips chunks, partials, models and the state, and reads them back after a reopen", async () => {
    const dir = join(await scratch(), "store")
    const store = await run(FileStore.make(dir))
    const [a, b, c] = [chunkBytes(1), chunkBytes(2), chunkBytes(3)]
    expect(await run(store.state)).toEqual(Store.empty)
    expect(await run(store.hasChunk(sha(a)))).toBe(false)
    expect(await run(store.readChunk(sha(a)))).toBeUndefined()
    expect(await run(store.readPartial(sha(a)))).toBeUndefined()
    expect(await run(store.readModel(sha(a)))).toBeUndefined()

    await run(store.writeChunk(sha(a), a))
    await run(store.writeChunk(sha(a), a)) // again: nothing changes
    expect(await run(store.hasChunk(sha(a)))).toBe(true)
    expect(same(await run(store.readChunk(sha(a))), a)).toBe(true)

    await run(store.appendPartial(sha(b), b.subarray(0, 1000)))
    await run(store.appendPartial(sha(b), b.subarray(1000, 1000)))
    await run(store.appendPartial(sha(b), b.subarray(1000, 7000)))
    expect(same(await run(store.readPartial(sha(b))), b.subarray(0, 7000))).toBe(true)
    await run(store.appendPartial(sha(b), b.subarray(7000)))
    const whole = await run(store.readPartial(sha(b)))
    expect(same(whole, b)).toBe(true)
    await run(store.writeChunk(sha(b), whole!))
    await run(store.dropPartial(sha(b)))
    await run(store.dropPartial(sha(b))) // again: nothing there
    expect(await run(store.readPartial(sha(b)))).toBeUndefined()
    await run(store.appendPartial(sha(c), c.subarray(0, 500))) // kept across the reopen

    const m = await model(store, a, b)
    expect(await run(store.hasModel(m.sha256))).toBe(true)
    expect(same(await run(store.readModel(m.sha256)), concat(a, b))).toBe(true)
    const state: Store.State = {
      models: { triage: { active: installed(m.sha256, m.size, "1.0.0") } },
      channels: { stable: { accepted: 3, etag: '"abc"' } },
    }
    await run(store.commit(state))
    expect(await run(store.state)).toEqual(state)

    const again = await run(FileStore.make(dir))
    expect(await run(again.state)).toEqual(state)
    expect(same(await run(again.readChunk(sha(b))), b)).toBe(true)
    expect(same(await run(again.readModel(m.sha256)), concat(a, b))).toBe(true)
    expect(same(await run(again.readPartial(sha(c))), c.subarray(0, 500))).toBe(true)
    expect(await StoreDirectory.files(dir)).toEqual(
      [
        `chunks/${sha(a).slice(0, 2)}/${sha(a)}`,
        `chunks/${sha(b).slice(0, 2)}/${sha(b)}`,
        `models/${m.sha256}`,
        `partials/${sha(c)}`,
        "state.journal",
      ].sort(),
    )
  })

  it("has a Promise API whose failures reject with StoreError, and a Layer for the Store service", async () => {
    const dir = await scratch()
    const store = await FileStore.open(dir)
    expect(store.directory).toBe(dir)
    const a = chunkBytes(4)
    await store.writeChunk(sha(a), a)
    expect(await store.hasChunk(sha(a))).toBe(true)
    await store.writeModel(sha(a), [sha(a)])
    const state: Store.State = {
      models: { vad: { active: installed(sha(a), a.length, "5.0.0") } },
      channels: {},
    }
    await store.commit(state)
    expect(await store.state()).toEqual(state)
    const rejected = await store.readChunk("../../etc/passwd").catch((e: unknown) => e)
    expect(rejected).toBeInstanceOf(StoreError)
    expect((rejected as StoreError)._tag).toBe("StoreError")

    const fromLayer = await run(
      Effect.gen(function* () {
        const service = yield* Store.Store
        return { state: yield* service.state, model: yield* service.hasModel(sha(a)) }
      }).pipe(Effect.provide(FileStore.layer(dir))),
    )
    expect(fromLayer).toEqual({ state, model: true })
  })

  it("refuses a model whose chunks hash to something else, naming both hashes, and leaves nothing behind", async () => {
    const dir = await scratch()
    const store = await run(FileStore.make(dir))
    const [a, b] = [chunkBytes(5), chunkBytes(6)]
    await run(store.writeChunk(sha(a), a))
    await run(store.writeChunk(sha(b), b))
    const claimed = sha(concat(b, a)) // the chunks in the wrong order
    const error = await refusal(store.writeModel(claimed, [sha(a), sha(b)]))
    expect(error._tag).toBe("StoreError")
    expect(error.message).toContain(claimed)
    expect(error.message).toContain(sha(concat(a, b)))
    expect(error.message).toContain("nothing was written")
    expect(await run(store.hasModel(claimed))).toBe(false)
    expect(await run(store.hasModel(sha(concat(a, b))))).toBe(false)
    expect(await readdir(join(dir, "models"))).toEqual([])
    expect(await readdir(join(dir, "tmp"))).toEqual([])
  })

  it("refuses to assemble a model from a chunk it does not have, naming the chunk", async () => {
    const dir = await scratch()
    const store = await run(FileStore.make(dir))
    const [a, b] = [chunkBytes(7), chunkBytes(8)]
    await run(store.writeChunk(sha(a), a))
    const error = await refusal(store.writeModel(sha(concat(a, b)), [sha(a), sha(b)]))
    expect(error.message).toContain(`chunk 2 of 2 (${sha(b)}) is not in the store`)
    expect(await readdir(join(dir, "models"))).toEqual([])
    expect(await readdir(join(dir, "tmp"))).toEqual([])
  })

  it("refuses a chunk whose bytes do not hash to its name, naming both", async () => {
    const dir = await scratch()
    const store = await run(FileStore.make(dir))
    const [a, b] = [chunkBytes(9), chunkBytes(10)]
    const error = await refusal(store.writeChunk(sha(a), b))
    expect(error.message).toContain(sha(a))
    expect(error.message).toContain(sha(b))
    expect(await run(store.hasChunk(sha(a)))).toBe(false)
    expect(await StoreDirectory.files(dir)).toEqual([])
  })

  it("commit refuses a state naming a model not in the store, active or previous; the state stays, also after a reopen", async () => {
    const dir = await scratch()
    const store = await run(FileStore.make(dir))
    const m = await model(store, chunkBytes(11))
    const missing = sha(chunkBytes(12))
    const first: Store.State = {
      models: { triage: { active: installed(m.sha256, m.size, "1.0.0") } },
      channels: { stable: { accepted: 1 } },
    }
    await run(store.commit(first))
    for (const models of [
      { triage: { active: installed(missing, 10, "2.0.0") } },
      {
        triage: {
          active: installed(m.sha256, m.size, "1.0.0"),
          previous: installed(missing, 10, "0.9.0"),
        },
      },
      {
        triage: { active: installed(m.sha256, m.size, "1.0.0") },
        vad: { active: installed(missing, 10, "5.0.0") },
      },
    ]) {
      const error = await refusal(store.commit({ models, channels: { stable: { accepted: 2 } } }))
      expect(error._tag).toBe("StoreError")
      expect(error.message).toContain(missing)
      expect(error.message).toContain("not in the store")
      expect(await run(store.state)).toEqual(first)
    }
    expect(await run((await run(FileStore.make(dir))).state)).toEqual(first)
  })

  it("collect keeps each name's active and previous models and the chunks asked for, and deletes the rest and stale partials", async () => {
    const dir = await scratch()
    const store = await run(FileStore.make(dir))
    const [a, b, c, d, e, f, g] = [13, 14, 15, 16, 17, 18, 19].map(chunkBytes) as [
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
    ]
    const old = await model(store, a, b)
    const current = await model(store, c)
    const other = await model(store, d)
    const dropped = await model(store, e)
    await run(
      store.commit({
        models: {
          triage: {
            active: installed(current.sha256, current.size, "2.0.0"),
            previous: installed(old.sha256, old.size, "1.0.0"),
          },
          vad: { active: installed(other.sha256, other.size, "5.0.0") },
        },
        channels: {},
      }),
    )
    await run(store.appendPartial(sha(f), f.subarray(0, 100))) // a chunk nothing needs
    await run(store.appendPartial(sha(g), g.subarray(0, 100))) // a chunk still wanted
    await run(store.appendPartial(sha(a), a.subarray(0, 100))) // a chunk already whole
    await writeFile(join(dir, "models", "README"), "not the store's") // left alone

    await run(store.collect(new Set([sha(a), sha(c), sha(g)])))
    for (const [sha256, kept] of [
      [old.sha256, true],
      [current.sha256, true],
      [other.sha256, true],
      [dropped.sha256, false],
    ] as const) {
      expect(await run(store.hasModel(sha256)), sha256).toBe(kept)
    }
    for (const [chunk, kept] of [
      [a, true],
      [b, false],
      [c, true],
      [d, false],
      [e, false],
    ] as const) {
      expect(await run(store.hasChunk(sha(chunk)))).toBe(kept)
    }
    expect((await readdir(join(dir, "partials"))).sort()).toEqual([sha(g)])
    expect(await readFile(join(dir, "models", "README"), "utf8")).toBe("not the store's")
    // What is kept still reads whole.
    expect(same(await run(store.readModel(old.sha256)), concat(a, b))).toBe(true)
  })

  it("refuses hostile names and bad input before touching the disk", async () => {
    const root = await scratch()
    const dir = join(root, "store")
    const store = await run(FileStore.make(dir))
    const a = chunkBytes(20)
    await writeFile(join(root, "secret"), "keep me")
    const before = await StoreDirectory.files(root)
    const good = sha(a)
    const hostile: Array<unknown> = [
      "../../secret",
      `../${good.slice(3)}`,
      `${good.slice(0, 62)}/x`,
      `${good.slice(0, 63)}\0`,
      "/etc/passwd",
      "",
      good.slice(1),
      `${good}0`,
      "g".repeat(64),
      42,
      undefined,
      null,
    ]
    for (const name of hostile) {
      const bad = name as string
      const state = {
        models: { x: { active: installed(bad, 1, "1.0.0") } },
        channels: {},
      }
      for (const effect of [
        store.hasChunk(bad),
        store.readChunk(bad),
        store.writeChunk(bad, a),
        store.readPartial(bad),
        store.appendPartial(bad, a),
        store.dropPartial(bad),
        store.writeModel(bad, [good]),
        store.writeModel(good, [good, bad]),
        store.hasModel(bad),
        store.readModel(bad),
        store.commit(state),
        store.collect(new Set([bad])),
      ] as ReadonlyArray<Effect.Effect<unknown, StoreError>>) {
        const error = await refusal(effect)
        expect(error._tag).toBe("StoreError")
        expect(error.message, String(name)).toMatch(/is not a sha256 \(64 hex digits\)/)
      }
    }
    expect((await refusal(store.writeChunk(good, "bytes" as never))).message).toContain(
      "must be a Uint8Array",
    )
    expect((await refusal(store.writeModel(good, "chunks" as never))).message).toContain(
      "a list of sha256s",
    )
    expect((await refusal(store.commit({ models: null } as never))).message).toContain(
      "a state is { models, channels }",
    )
    expect(await StoreDirectory.files(root)).toEqual(before)
    expect(await readFile(join(root, "secret"), "utf8")).toBe("keep me")

    // Hex in capitals is the same hash.
    await run(store.writeChunk(good.toUpperCase(), a))
    expect(await run(store.hasChunk(good))).toBe(true)

    // A store directory that is a file, or lies under one.
    const file = join(root, "secret")
    expect((await refusal(FileStore.make(file))).message).toContain("is a file, not a directory")
    expect((await refusal(FileStore.make(join(file, "store")))).message).toMatch(
      /could not open the store: a part of the path is a file, not a directory.*ENOTDIR/,
    )
  })

  it("serializes appends to one partial: concurrent appends land whole and in order", async () => {
    const dir = await scratch()
    const store = await run(FileStore.make(dir))
    const chunk = chunkBytes(21)
    const pieces = Array.from({ length: 16 }, (_, i) =>
      chunk.subarray((i * chunk.length) / 16, ((i + 1) * chunk.length) / 16),
    )
    await run(
      Effect.all(
        pieces.map((piece) => store.appendPartial(sha(chunk), piece)),
        { concurrency: "unbounded" },
      ),
    )
    expect(same(await run(store.readPartial(sha(chunk))), chunk)).toBe(true)
  })
})

describe("FileStore: recovery after a crash", () => {
  it("removes temporary files, drops a torn journal tail and damaged lines, and loses a torn partial append whole", async () => {
    const dir = await scratch()
    const store = await run(FileStore.make(dir))
    const [a, b] = [chunkBytes(22), chunkBytes(23)]
    const m = await model(store, a)
    const state = (n: number): Store.State => ({
      models: { triage: { active: installed(m.sha256, m.size, `1.0.${n}`) } },
      channels: { stable: { accepted: n } },
    })
    await run(store.commit(state(1)))
    await run(store.commit(state(2)))
    await run(store.appendPartial(sha(b), b.subarray(0, 3000)))
    const journal = join(dir, "state.journal")
    const lines = (await readFile(journal, "utf8")).split("\n")
    expect(lines).toHaveLength(3) // two lines and the empty string after the last newline

    // What a kill -9 at various instants leaves behind:
    await writeFile(join(dir, "tmp", `model-${m.sha256.slice(0, 16)}.0a1b2c3d4e5f.tmp`), "half")
    await writeFile(join(dir, "tmp", "journal.abcdef012345.tmp"), "half a journal")
    // a line whose checksum fails (a damaged sector), then an append cut before its newline
    const damaged = lines[1]!.replace('"accepted":2', '"accepted":9')
    await appendFile(journal, `${damaged}\n${lines[1]!.slice(0, 40)}`)
    // a frame whose header promises 5000 bytes, of which 100 arrived
    const header = Buffer.alloc(8)
    header.writeUInt32BE(5000, 0)
    await appendFile(join(dir, "partials", sha(b)), concat(header, b.subarray(3000, 3100)))

    const reopened = await run(FileStore.make(dir))
    expect(await readdir(join(dir, "tmp"))).toEqual([])
    expect(await run(reopened.state)).toEqual(state(2))
    // The file itself is cut back to its last intact line.
    expect(await readFile(journal, "utf8")).toBe(`${lines[0]}\n${lines[1]}\n`)
    expect(same(await run(reopened.readPartial(sha(b))), b.subarray(0, 3000))).toBe(true)
    await run(reopened.appendPartial(sha(b), b.subarray(3000)))
    expect(same(await run(reopened.readPartial(sha(b))), b)).toBe(true)
    await run(reopened.commit(state(3)))
    expect(await run((await run(FileStore.make(dir))).state)).toEqual(state(3))
  })

  it("a journal holding only a torn first commit opens as an empty store", async () => {
    const dir = await scratch()
    await writeFile(join(dir, "state.journal"), '0badc0de {"seq":1,"state":{"mod')
    const store = await run(FileStore.make(dir))
    expect(await run(store.state)).toEqual(Store.empty)
    expect(await readFile(join(dir, "state.journal"), "utf8")).toBe("")
  })

  it("compacts the journal: 600 commits leave at most a few hundred lines, and the last state", async () => {
    const dir = await scratch()
    const store = await run(FileStore.make(dir))
    const m = await model(store, chunkBytes(24))
    const state = (n: number): Store.State => ({
      models: { triage: { active: installed(m.sha256, m.size, `1.0.${n}`) } },
      channels: { stable: { accepted: n, etag: `"${n}"` } },
    })
    for (let n = 1; n <= 600; n++) await run(store.commit(state(n)))
    const lines = (await readFile(join(dir, "state.journal"), "utf8")).trim().split("\n")
    expect(lines.length).toBeLessThanOrEqual(256)
    expect(lines.at(-1)).toContain('"seq":600')
    expect(await run((await run(FileStore.make(dir))).state)).toEqual(state(600))
    expect(await readdir(join(dir, "tmp"))).toEqual([])
  })
})

describe("FileStore: filesystem failures are errors that say what to do", () => {
  it("describes errno codes in words, with the call and the path", () => {
    const errno = (code: string) =>
      Object.assign(new Error(`${code}: x`), { code, syscall: "write", path: "/s/tmp/f" })
    expect(failure("/s", "write the chunk c", errno("ENOSPC")).message).toBe(
      "file store /s: could not write the chunk c: the disk is full: free space on it, then retry (ENOSPC from write /s/tmp/f)",
    )
    expect(failure("/s", "commit the state", errno("EACCES")).message).toContain(
      "permission denied",
    )
    expect(failure("/s", "commit the state", errno("EROFS")).message).toContain("read-only")
    expect(failure("/s", "commit the state", errno("EIO")).message).toContain("failing")
    expect(failure("/s", "commit the state", new Error("odd")).message).toBe(
      "file store /s: could not commit the state: odd",
    )
  })

  it("a full disk (a 2 MiB tmpfs): writes fail with 'the disk is full', nothing is left half-written, the store still opens, and works once space is freed", async ({
    skip,
  }) => {
    const dir = await scratch()
    const mount = join(dir, "small")
    await mkdir(mount)
    const mounted = await exec("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", mount]).then(
      () => true,
      () => false,
    )
    skip(!mounted, "mounting a tmpfs needs root (CAP_SYS_ADMIN)")
    cleanups.push(() => exec("umount", [mount]))
    const storeDir = join(mount, "store")
    const store = await run(FileStore.make(storeDir))
    const first = await model(store, chunkBytes(30))
    const state = (n: number, etag = ""): Store.State => ({
      models: { triage: { active: installed(first.sha256, first.size, "1.0.0") } },
      channels: { stable: { accepted: n, etag } },
    })
    await run(store.commit(state(1)))
    const partial = chunkBytes(31)
    await run(store.appendPartial(sha(partial), partial.subarray(0, 1024)))

    // Chunks until the disk is full.
    const written: Array<Uint8Array> = []
    let full: StoreError | undefined
    for (let id = 32; full === undefined; id++) {
      const chunk = chunkBytes(id)
      full = await refusal(store.writeChunk(sha(chunk), chunk)).catch(() => {
        written.push(chunk)
        return undefined
      })
      if (full !== undefined) expect(await run(store.hasChunk(sha(chunk)))).toBe(false)
    }
    expect(full.message).toMatch(/could not write the chunk .*: the disk is full.*ENOSPC/)
    expect(await readdir(join(storeDir, "tmp"))).toEqual([])

    // Whatever a chunk could not use, a file takes: the disk is full to the last page.
    await writeFile(join(mount, "filler"), Buffer.alloc(2 * 1024 * 1024)).catch(() => {})

    // A model, a partial append and a commit that do not fit.
    const big = concat(...written)
    const noRoom = await refusal(store.writeModel(sha(big), written.map(sha)))
    expect(noRoom.message).toMatch(/could not assemble the model .*: the disk is full/)
    expect(await readdir(join(storeDir, "models"))).toEqual([first.sha256])
    expect(await readdir(join(storeDir, "tmp"))).toEqual([])
    const append = await refusal(store.appendPartial(sha(partial), partial.subarray(1024)))
    expect(append.message).toContain("the disk is full")
    expect(same(await run(store.readPartial(sha(partial))), partial.subarray(0, 1024))).toBe(true)
    const commit = await refusal(store.commit(state(2, "x".repeat(64 * 1024))))
    expect(commit.message).toMatch(/could not commit the state: the disk is full/)
    expect(await run(store.state)).toEqual(state(1))

    // Still full: the store opens, with the last committed state.
    const reopened = await run(FileStore.make(storeDir))
    expect(await run(reopened.state)).toEqual(state(1))
    expect(same(await run(reopened.readPartial(sha(partial))), partial.subarray(0, 1024))).toBe(
      true,
    )

    // Space freed: everything works again.
    await rm(join(mount, "filler"))
    await run(reopened.collect(new Set([...first.chunks, sha(partial)])))
    await run(reopened.commit(state(2, "x".repeat(64 * 1024))))
    await run(reopened.appendPartial(sha(partial), partial.subarray(1024)))
    const last = await run(FileStore.make(storeDir))
    expect(await run(last.state)).toEqual(state(2, "x".repeat(64 * 1024)))
    expect(same(await run(last.readPartial(sha(partial))), partial)).toBe(true)
    expect(same(await run(last.readModel(first.sha256)), chunkBytes(30))).toBe(true)
  })

  it("a directory the process may not write: 'permission denied'", async () => {
    const dir = await scratch()
    const locked = join(dir, "locked")
    await mkdir(locked)
    await chmod(locked, 0o555)
    // Root may write anywhere, so as root the store is opened by nobody.
    const asRoot = process.getuid?.() === 0
    await chmod(dir, 0o755)
    const { stdout } = await exec(
      process.execPath,
      [support("open-store.mjs"), join(locked, "store")],
      asRoot ? { uid: 65534, gid: 65534 } : {},
    )
    const outcome = JSON.parse(stdout) as { tag: string; message: string }
    expect(outcome.tag).toBe("StoreError")
    expect(outcome.message).toMatch(
      /^file store .*locked\/store: could not open the store: permission denied: .*\(EACCES from mkdir .*\)$/,
    )
  })
})

describe("FileStore: a model far bigger than the memory it takes", () => {
  it("assembles 200 MiB of chunks into a verified model with memory flat (child process)", async () => {
    const dir = await scratch()
    const { stdout } = await exec(
      process.execPath,
      ["--expose-gc", support("big-model.mjs"), dir, "200"],
      { maxBuffer: 1 << 20 },
    )
    const report = JSON.parse(stdout) as {
      sha256: string
      size: number
      chunks: number
      ms: number
      before: Record<string, number>
      peak: Record<string, number>
      after: Record<string, number>
    }
    const MiB = 1024 * 1024
    const grew = (key: string) => (report.peak[key]! - report.before[key]!) / MiB
    console.log(
      `200 MiB model from ${report.chunks} chunks in ${Math.round(report.ms)} ms: rss +${grew("rss").toFixed(1)} MiB at the peak, heap +${grew("heapUsed").toFixed(1)} MiB, array buffers +${grew("arrayBuffers").toFixed(1)} MiB`,
    )
    expect(report.size).toBe(200 * MiB)
    // Concatenating would take at least the model's 200 MiB.
    expect(grew("rss")).toBeLessThan(32)
    expect(grew("heapUsed")).toBeLessThan(32)
    expect(grew("arrayBuffers")).toBeLessThan(8)
    expect((report.after.heapUsed! - report.before.heapUsed!) / MiB).toBeLessThan(4)
    // The file itself, hashed independently.
    const hash = createHash("sha256")
    for await (const piece of createReadStream(join(dir, "models", report.sha256))) {
      hash.update(piece as Buffer)
    }
    expect(hash.digest("hex")).toBe(report.sha256)
    expect(await readdir(join(dir, "tmp"))).toEqual([])
  }, 180_000)
})

/** What one kill -9 cycle saw. */
interface Cycle {
  readonly mode: string
  /** The operation the child had announced last when it died. */
  readonly during: string
  readonly before: StoreDirectory.Leftovers
  readonly recovered: "last committed" | "being committed"
}

describe("FileStore: kill -9 at any instant leaves a consistent store", () => {
  it("50 kills of a child process mid-work (seeded): the store opens, names only whole verified models, holds the last or the pending commit, and keeps working", async () => {
    const work = await scratch()
    const dir = join(work, "store")
    // Bundled (see support/bundle.ts): it starts 50 times.
    const crasher = join(work, "store-crasher.mjs")
    await bundle(support("store-crasher.mjs"), crasher)
    const next = random(20261203)
    // Every chunk the child can write, by sha256, to tell its partials from garbage.
    const known = new Map<string, Uint8Array>()
    for (let id = 0; id < CHUNK_IDS; id++) {
      const bytes = chunkBytes(id)
      known.set(sha(bytes), bytes)
    }
    const cycles: Array<Cycle> = []
    let committed = 0 // the highest n the child said it committed
    const modes = ["any time", "in a commit", "in a model", "in a partial"] as const

    for (let i = 0; i < 50; i++) {
      const mode = modes[i % modes.length]!
      const child = spawn(process.execPath, [crasher, dir, String(i + 1)], {
        stdio: ["ignore", "pipe", "pipe"],
      })
      let stdout = ""
      let stderr = ""
      let pending = ""
      let killAt: number | undefined
      const kill = (afterMs: number) => {
        if (killAt !== undefined) return
        killAt = afterMs
        setTimeout(() => child.kill("SIGKILL"), afterMs)
      }
      // Which occurrence of the awaited operation to kill in (1 to 3), and how late.
      const nth = 1 + Math.floor(next() * 3)
      const delay = next()
      let seen = 0
      child.stderr.on("data", (data) => {
        stderr += data
      })
      child.stdout.on("data", (data) => {
        stdout += data
        pending += data
        const lines = pending.split("\n")
        pending = lines.pop()!
        for (const line of lines) {
          if (line.startsWith("ready")) {
            if (mode === "any time") kill(Math.floor(delay * 1500))
          } else if (
            (mode === "in a commit" && line.startsWith("op commit")) ||
            (mode === "in a model" && line === "op model") ||
            (mode === "in a partial" && line === "op partial")
          ) {
            seen++
            if (seen === nth) kill(Math.floor(delay * (mode === "in a model" ? 30 : 2)))
          }
        }
      })
      const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
        child.on("close", (c, s) => resolve([c, s])),
      )
      expect({ code, signal, stderr }, stdout.slice(-500)).toEqual({
        code: null,
        signal: "SIGKILL",
        stderr: "",
      })
      const lines = stdout.trim().split("\n")
      expect(lines[0]).toBe(`ready ${committed}`)
      const commits = lines
        .filter((l) => l.startsWith("committed "))
        .map((l) => Number(l.slice(10)))
      if (commits.length > 0) committed = commits.at(-1)!
      const announced = lines.filter((l) => l.startsWith("op ")).at(-1) ?? "op start"
      const beingCommitted = announced.startsWith("op commit ")
        ? Number(announced.slice(10))
        : undefined

      // What the kill left, before recovery touches it.
      const before = await StoreDirectory.leftovers(dir)

      // It opens, and recovery leaves no temporary file.
      const store = await run(FileStore.make(dir))
      expect(await readdir(join(dir, "tmp"))).toEqual([])
      // The state is the last committed one, or the one being committed.
      const state = await run(store.state)
      const n = state.channels.kill?.accepted ?? 0
      expect([committed, beingCommitted]).toContain(n)
      // Every model it names is there and hashes right.
      for (const [name, entry] of Object.entries(state.models)) {
        for (const version of [entry.active, entry.previous]) {
          if (version === undefined) continue
          const bytes = await run(store.readModel(version.sha256))
          expect(bytes, `${name}@${version.version}`).toBeDefined()
          expect(sha(bytes!)).toBe(version.sha256)
          expect(bytes!.length).toBe(version.size)
        }
      }
      // No file under a content address is half written; no partial holds garbage.
      expect(await StoreDirectory.misnamed(dir)).toEqual([])
      for (const file of await StoreDirectory.files(join(dir, "partials"))) {
        const chunk = known.get(file)
        expect(chunk, `partial ${file}`).toBeDefined()
        const bytes = await run(store.readPartial(file))
        if (bytes !== undefined) expect(same(bytes, chunk!.subarray(0, bytes.length))).toBe(true)
      }
      // It keeps working: a model assembled and a commit naming it, read back after a reopen.
      const extra = chunkBytes(i % CHUNK_IDS)
      await run(store.writeChunk(sha(extra), extra))
      await run(store.writeModel(sha(extra), [sha(extra)]))
      const further: Store.State = {
        models: {
          ...state.models,
          parent: { active: installed(sha(extra), extra.length, `0.0.${i}`) },
        },
        channels: { ...state.channels, parent: { accepted: i } },
      }
      await run(store.commit(further))
      expect(await run((await run(FileStore.make(dir))).state)).toEqual(further)
      committed = n

      cycles.push({
        mode,
        during: announced.replace(/^op /, "").replace(/ \d+$/, ""),
        before,
        recovered:
          n === beingCommitted && n !== commits.at(-1) ? "being committed" : "last committed",
      })
    }

    const count = (key: (c: Cycle) => string) =>
      Object.fromEntries(
        [...new Set(cycles.map(key))].map((k) => [k, cycles.filter((c) => key(c) === k).length]),
      )
    console.log(
      JSON.stringify(
        {
          kills: cycles.length,
          commits: committed,
          during: count((c) => c.during),
          recovered: count((c) => c.recovered),
          leftTemporaryFiles: cycles.filter((c) => c.before.temporaryFiles > 0).length,
          leftTornJournal: cycles.filter((c) => c.before.tornJournal).length,
          leftTornPartial: cycles.filter((c) => c.before.tornPartials > 0).length,
        },
        null,
        1,
      ),
    )
    expect(cycles).toHaveLength(50)
    // The kills landed in several kinds of work, not all in one.
    expect(Object.keys(count((c) => c.during)).length).toBeGreaterThanOrEqual(3)
  }, 600_000)
})
