// `node --import <this file> …`: appends the URL of every module the process
// resolves to the file named by EDGELINE_MODULE_LOG, so a test can see what a
// command loaded (a resolve hook sees ES imports, including the first import
// of a CommonJS package such as onnxruntime-node).
import { register } from "node:module"

register("./log-modules-hooks.mjs", import.meta.url, {
  data: { log: process.env.EDGELINE_MODULE_LOG },
})
