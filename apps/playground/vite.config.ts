import { defineConfig } from "vite"

// The page and its workers; the server (server/) serves the build with the
// isolation headers onnxruntime-web needs for threads.
export default defineConfig({
  root: "web",
  base: "./",
  build: {
    outDir: "../dist/web",
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 4096,
  },
  worker: { format: "es" },
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
})
