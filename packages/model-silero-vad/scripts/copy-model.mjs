// Build step: copies Silero VAD v5 out of @ricky0123/vad-web (a dev dependency,
// so users never install onnxruntime-web for it) into dist/, and refuses a
// file whose sha256 is not the one this package pins.
import { createHash } from "node:crypto"
import { mkdir, readFile, writeFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { bytes as expectedBytes, sha256 as expectedSha256 } from "../index.js"

const from = createRequire(import.meta.url).resolve("@ricky0123/vad-web/dist/silero_vad_v5.onnx")
const model = await readFile(from)
const actual = createHash("sha256").update(model).digest("hex")
if (actual !== expectedSha256 || model.byteLength !== expectedBytes) {
  console.error(
    `model-silero-vad: ${from} has sha256 ${actual} (${model.byteLength} bytes), expected ${expectedSha256} (${expectedBytes} bytes); update index.js only after checking the new file's provenance`,
  )
  process.exit(1)
}
await mkdir(new URL("../dist/", import.meta.url), { recursive: true })
await writeFile(new URL("../dist/silero_vad_v5.onnx", import.meta.url), model)
