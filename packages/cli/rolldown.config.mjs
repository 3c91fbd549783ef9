// The CLI's bin as one bundled file (plus a lazily loaded chunk per command).
// Node loads effect's modules one by one: about 0.35 s of a short run before
// any work, as much as scoring a minute of audio. Bundled, only what the CLI
// uses is parsed, once. `--help` and `--version` load no command at all.
// onnxruntime-node stays outside: it is a native addon with its binaries,
// and a direct dependency of this package, so isolated installs resolve it here.
// It is loaded with `require`, not `import`: importing CommonJS from ESM makes
// Node scan its sources (and onnxruntime-common's, which it re-exports) for
// export names first, about 5 ms of every run; the names are known at build.
// Packages that read files of their own stay external too, loaded from where
// npm installed them (each a direct dependency): @edgeline/cloud-server (its
// teacher's model, relative to its own module), @edgeline/model-message-triage
// (the committed student, resolved through its package name) and
// @edgeline/distill (Vega for its reports, protobufjs for ONNX; bundled, a
// module that finds a file by import.meta.url would look under dist/command/).
import { createRequire } from "node:module"
import { defineConfig } from "rolldown"

const require = createRequire(import.meta.url)
const ORT = "\0onnxruntime-node by require"
const ortNames = Object.keys(require("onnxruntime-node")).filter(
  (name) => name !== "__esModule" && name !== "default",
)

/** `import … from "onnxruntime-node"` becomes a `require` of it, with the same named exports. */
const onnxruntimeByRequire = {
  name: "onnxruntime-node-by-require",
  resolveId: (id) => (id === "onnxruntime-node" ? ORT : null),
  load: (id) =>
    id === ORT
      ? [
          'import { createRequire } from "node:module"',
          'const ort = createRequire(import.meta.url)("onnxruntime-node")',
          `export const { ${ortNames.join(", ")} } = ort`,
          "export default ort",
        ].join("\n")
      : null,
}

export default defineConfig({
  input: { edgeline: "dist/bin.js" },
  platform: "node",
  plugins: [onnxruntimeByRequire],
  external: ["@edgeline/cloud-server", "@edgeline/distill", "@edgeline/model-message-triage"],
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
