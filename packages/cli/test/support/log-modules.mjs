// `node --import <this file> …`: appends the URL of every module the process
// resolves to the file named by EDGELINE_MODULE_LOG, so a test can see what a
// command loaded: a resolve hook sees ES imports, and a wrapper of
// CommonJS's loader sees `require` (the bundled command requires
// onnxruntime-node), which Node 20's hooks do not.
import { appendFileSync } from "node:fs"
import Module, { register } from "node:module"
import { pathToFileURL } from "node:url"

const log = process.env.EDGELINE_MODULE_LOG

register("./log-modules-hooks.mjs", import.meta.url, { data: { log } })

if (log) {
  const load = Module._load
  Module._load = function (request, parent, isMain) {
    const loaded = load.call(this, request, parent, isMain)
    try {
      const file = Module._resolveFilename(request, parent, isMain)
      appendFileSync(
        log,
        `${file.startsWith("node:") || !file.startsWith("/") ? file : pathToFileURL(file).href}\n`,
      )
    } catch {}
    return loaded
  }
}
