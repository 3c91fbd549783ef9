// The CLI's bin as one bundled file (plus a lazily loaded chunk per command).
// Node loads effect's modules one by one: about 0.35 s of a short run before
// any work, as much as scoring a minute of audio. Bundled, only what the CLI
// uses is parsed, once. `--help` and `--version` load no command at all.
// onnxruntime-node stays external: it is a native addon with its binaries,
// and a direct dependency of this package, so isolated installs resolve it here.
// Packages that read files of their own stay external too, loaded from where
// npm installed them (each a direct dependency): @edgeline/cloud-server (its
// teacher's model, relative to its own module), @edgeline/model-message-triage
// (the committed student, resolved through its package name) and
// @edgeline/distill (Vega for its reports, protobufjs for ONNX; bundled, a
// module that finds a file by import.meta.url would look under dist/command/).
import { defineConfig } from "rolldown"

export default defineConfig({
  input: { edgeline: "dist/bin.js" },
  platform: "node",
  external: [
    "onnxruntime-node",
    "@edgeline/cloud-server",
    "@edgeline/distill",
    "@edgeline/model-message-triage",
  ],
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
