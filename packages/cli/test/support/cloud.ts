/**
 * The reference cloud tier as users start it, `edgeline cloud serve`, in a
 * child process: the real message-triage teacher on loopback, optionally
 * writing its request log (one JSON line per request, messages included).
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process"
import { readFile } from "node:fs/promises"
import { bin } from "./edgeline.js"

export interface Serving {
  readonly child: ChildProcessWithoutNullStreams
  /** The first stdout line: the server's URL (without /v1). */
  readonly url: Promise<string>
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  readonly output: () => { stdout: string; stderr: string }
  /** SIGTERM, then waits for the exit. */
  readonly stop: () => Promise<void>
}

/** Starts `edgeline cloud serve …` (or another serving command); `url` resolves with its first stdout line. */
export const serving = (
  args: ReadonlyArray<string>,
  env: NodeJS.ProcessEnv = process.env,
  command: ReadonlyArray<string> = ["cloud", "serve"],
): Serving => {
  const child = spawn(process.execPath, [bin, ...command, ...args], { env })
  let stdout = ""
  let stderr = ""
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  )
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d
      if (stdout.includes("\n")) resolve(stdout.split("\n")[0]!)
    })
    void exited.then(({ code }) => reject(new Error(`exited ${code} before serving: ${stderr}`)))
  })
  url.catch(() => {})
  return {
    child,
    url,
    exited,
    output: () => ({ stdout, stderr }),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM")
      await exited
    },
  }
}

/** The user messages of the chat requests in a request log, in order (the texts asked about). */
export const askedTexts = async (log: string): Promise<Array<string>> => {
  const text = await readFile(log, "utf8").catch(() => "")
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as { path: string; messages: unknown })
    .filter((entry) => entry.path.endsWith("/chat/completions") && Array.isArray(entry.messages))
    .map((entry) => {
      const messages = entry.messages as Array<{ role: string; content: string }>
      return messages.find((m) => m.role === "user")?.content ?? ""
    })
}

/** How many chat requests a request log holds, refused ones (401, 404, 413…) included. */
export const chatRequests = async (log: string): Promise<number> => {
  const text = await readFile(log, "utf8").catch(() => "")
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .filter((line) => (JSON.parse(line) as { path: string }).path.endsWith("/chat/completions"))
    .length
}
