// The Vite dev server for the bench page and its workers, on loopback only,
// cross-origin isolated and with worker-only dependencies pre-bundled, as for
// the browser tests (tooling/browser.mjs).
import os from "node:os"
import { fileURLToPath } from "node:url"
import { createServer } from "vite"
import { isolationHeaders, prebundled } from "../../tooling/browser.mjs"

const repoRoot = fileURLToPath(new URL("../../", import.meta.url))
const pageRoot = fileURLToPath(new URL("./page/", import.meta.url))
// Outside the repo: the bench leaves no files behind but its results.
const cacheDir = `${os.tmpdir()}/edgeline-bench-vite`

/** Starts the server on a free port; `close()` stops it. */
export const startServer = async () => {
  const server = await createServer({
    configFile: false,
    root: pageRoot,
    cacheDir,
    logLevel: "error",
    clearScreen: false,
    server: {
      host: "127.0.0.1",
      port: 0,
      // Nothing reloads the page: no file watching, no HMR socket.
      hmr: false,
      ws: false,
      watch: null,
      headers: isolationHeaders,
      // The workspace packages, node_modules (ORT's wasm, the model) and the pre-bundled deps.
      fs: { allow: [repoRoot, cacheDir] },
    },
    // Only benchmark (w)'s workers import these two.
    optimizeDeps: { include: [...prebundled, "wasm-feature-detect", "onnxruntime-web/wasm"] },
  })
  await server.listen()
  const url = server.resolvedUrls?.local[0]
  if (url === undefined) {
    await server.close()
    throw new Error("the Vite server did not report its URL")
  }
  return { url, close: () => server.close() }
}
