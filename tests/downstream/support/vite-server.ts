/**
 * A Vite server in a web app: `vite preview` (the build) or `vite` (the dev
 * server), on a free port, stopped by its process id.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { createServer } from "node:net"
import { join } from "node:path"
import { stripVTControlCharacters } from "node:util"
import { userEnv } from "./env.js"

export interface ViteServer {
  readonly url: string
  /** Everything the server printed so far. */
  readonly log: () => string
  readonly stop: () => Promise<void>
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.on("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() =>
        typeof address === "object" && address !== null
          ? resolve(address.port)
          : reject(new Error("no port")),
      )
    })
  })

const stopped = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once("exit", () => resolve())
    child.kill("SIGTERM")
    setTimeout(() => child.kill("SIGKILL"), 5_000).unref()
  })

export const startVite = async (app: string, mode: "dev" | "preview"): Promise<ViteServer> => {
  const port = await freePort()
  const args = [
    join(app, "node_modules/vite/bin/vite.js"),
    ...(mode === "preview" ? ["preview"] : []),
    "--port",
    String(port),
    "--strictPort",
  ]
  const child = spawn(process.execPath, args, {
    cwd: app,
    env: userEnv(),
    stdio: ["ignore", "pipe", "pipe"],
  })
  let log = ""
  const started = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`vite ${mode} did not start in 120 s:\n${log}`)),
      120_000,
    )
    const read = (chunk: Buffer) => {
      log += chunk.toString()
      // "Local:   http://localhost:5173/", with colours when the terminal has them.
      const match = /Local:\s+(http:\/\/\S+)/.exec(stripVTControlCharacters(log))
      if (match) {
        clearTimeout(timer)
        resolve(match[1]!)
      }
    }
    child.stdout.on("data", read)
    child.stderr.on("data", read)
    child.once("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`vite ${mode} exited with ${code}:\n${log}`))
    })
  })
  const url = await started.catch(async (error: unknown) => {
    await stopped(child)
    throw error
  })
  return { url, log: () => log, stop: () => stopped(child) }
}
