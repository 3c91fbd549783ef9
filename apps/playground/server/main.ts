/**
 * `npm start`: the playground, the dev registry and the cloud tier; prints
 * one URL; Ctrl-C stops all three and frees their ports.
 *
 *   node dist/node/server/main.js [--port 8780] [--cloud-port 8781] [--registry-port 8782] [--data <dir>]
 */
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import * as Playground from "./Playground.js"

const { values } = parseArgs({
  options: {
    port: { type: "string", default: process.env.PORT ?? "8780" },
    "cloud-port": { type: "string", default: "8781" },
    "registry-port": { type: "string", default: "8782" },
    data: { type: "string", default: fileURLToPath(new URL("../../../.data", import.meta.url)) },
  },
})

const port = (name: string, value: string) => {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    console.error(
      `--${name} must be a port number (0 to 65535; 0 takes any free one), not ${value}`,
    )
    process.exit(2)
  }
  return n
}

const playground = await Playground.start({
  dataDirectory: values.data,
  port: port("port", values.port),
  cloudPort: port("cloud-port", values["cloud-port"]),
  registryPort: port("registry-port", values["registry-port"]),
}).catch((e: unknown) => {
  const busy = (e as { code?: string }).code === "EADDRINUSE"
  console.error(
    busy
      ? `a port is in use (${String(e)}): stop the other playground, or pass --port / --cloud-port / --registry-port`
      : `the playground could not start: ${e instanceof Error ? e.message : String(e)}`,
  )
  process.exit(1)
})

console.log(`Edgeline playground: ${playground.url}`)

let stopping = false
const stop = () => {
  if (stopping) return
  stopping = true
  playground.close().then(
    () => process.exit(0),
    () => process.exit(1),
  )
}
process.on("SIGINT", stop)
process.on("SIGTERM", stop)
