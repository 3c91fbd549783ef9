// The CLI's bin as one bundled file (plus a lazily loaded chunk per command).
// Node loads effect's modules one by one: about 0.35 s of a short run before
// any work, as much as scoring a minute of audio. Bundled, only what the CLI
// uses is parsed, once. `--help` and `--version` load no command at all.
// onnxruntime-node stays external: it is a native addon with its binaries,
// and a direct dependency of this package, so isolated installs resolve it here.
import { defineConfig } from "rolldown"

export default defineConfig({
  input: { edgeline: "dist/bin.js" },
  platform: "node",
  external: ["onnxruntime-node", "@edgeline/cloud-server"],
  output: {
    // A directory of its own, emptied first: stale chunks must not reach the tarball.
    dir: "dist/command",
    cleanDir: true,
    format: "esm",
    entryFileNames: "[name].mjs",
    chunkFileNames: "[name]-[hash].mjs",
    minify: true,
    sourcemap: true,
  },
})
