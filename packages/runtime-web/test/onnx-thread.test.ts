/**
 * A bundled worker runs again in each of onnxruntime-web's wasm threads,
 * named `em-pthread…` (see WebWorker.ts): runtime-web tells them apart by
 * that name, in a real Worker.
 */
import { describe, expect, it } from "vitest"

const threadAnswer = (name: string) =>
  new Promise<unknown>((resolve, reject) => {
    const worker = new Worker(new URL("./thread-name.worker.ts", import.meta.url), {
      type: "module",
      name,
    })
    worker.onmessage = (event) => {
      resolve(event.data)
      worker.terminate()
    }
    worker.onerror = (event) => reject(new Error(event.message))
  })

describe("isOnnxRuntimeThread", () => {
  it("is true in a worker onnxruntime-web names as its thread, false in ours", async () => {
    await expect(threadAnswer("em-pthread-3")).resolves.toBe(true)
    await expect(threadAnswer("em-pthread")).resolves.toBe(true)
    await expect(threadAnswer('{"config":"ours"}')).resolves.toBe(false)
    await expect(threadAnswer("")).resolves.toBe(false)
  })
})
