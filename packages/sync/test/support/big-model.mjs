/**
 * `node --expose-gc big-model.mjs <directory> <MiB>`: writes a model of
 * that many MiB as 256 KiB chunks into a file store, then assembles it,
 * sampling the process's memory while `writeModel` runs. Prints one JSON
 * line: the model's sha256 and size, and memory before, at the peak and
 * after. In a process of its own, so the numbers are the store's and not
 * a test runner's.
 */
import { createHash, randomFillSync } from "node:crypto"
import { FileStore } from "@edgeline/sync/node"

const [directory, mibText] = process.argv.slice(2)
const CHUNK = 256 * 1024
const count = (Number(mibText) * 1024 * 1024) / CHUNK
const store = await FileStore.open(directory)

// Distinct chunks from one buffer: each starts with its own index.
const base = randomFillSync(new Uint8Array(CHUNK))
const model = createHash("sha256")
const shas = []
for (let i = 0; i < count; i++) {
  new DataView(base.buffer).setUint32(0, i)
  const sha = createHash("sha256").update(base).digest("hex")
  await store.writeChunk(sha, base)
  model.update(base)
  shas.push(sha)
}
const sha256 = model.digest("hex")

const memory = () => {
  const m = process.memoryUsage()
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers }
}
globalThis.gc()
const before = memory()
const peak = { ...before }
const sample = setInterval(() => {
  const now = memory()
  for (const key of Object.keys(peak)) peak[key] = Math.max(peak[key], now[key])
}, 10)
const started = performance.now()
await store.writeModel(sha256, shas)
const ms = performance.now() - started
clearInterval(sample)
const end = memory()
for (const key of Object.keys(peak)) peak[key] = Math.max(peak[key], end[key])
globalThis.gc()
const after = memory()
process.stdout.write(
  `${JSON.stringify({ sha256, size: count * CHUNK, chunks: count, ms, before, peak, after })}\n`,
)
