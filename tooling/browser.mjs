// How Edgeline drives a browser, in one place for the browser tests
// (packages/runtime-web/vitest.config.ts) and the browser benchmarks
// (bench/web): Debian's Chromium through Playwright, never a downloaded
// browser, and a cross-origin isolated dev server. DEVELOPERS.md explains
// each flag.
import { existsSync } from "node:fs"

export const CHROMIUM = process.env.EDGELINE_CHROMIUM ?? "/usr/bin/chromium"

/** Why no browser can run here, or undefined when one can. */
export const chromiumMissing = () =>
  existsSync(CHROMIUM)
    ? undefined
    : `no Chromium at ${CHROMIUM}: install it (Debian: apt-get install chromium) or set EDGELINE_CHROMIUM to its path`

/** Launch flags; `webgpu` adds a SwiftShader WebGPU adapter. */
export const chromiumArgs = ({ webgpu = false } = {}) => [
  "--no-sandbox",
  "--headless",
  "--disable-gpu",
  ...(webgpu ? ["--enable-unsafe-webgpu"] : []),
  "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
]

/** Cross-origin isolation, so onnxruntime-web may use threads. */
export const isolationHeaders = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
}

/** Worker-only dependencies Vite must pre-bundle up front, or it reloads the page mid-run. */
export const prebundled = [
  "onnxruntime-web",
  "comlink",
  "@edgeline/distill/features",
  "effect",
  "@alexanderolsen/libsamplerate-js",
  "alawmulaw",
  "postal-mime",
  "html-to-text",
  "gpt-tokenizer/encoding/o200k_base",
]
