/**
 * Runs the `edgeline` command as users do: the committed bin shim
 * (bin/edgeline.mjs, what npm links) in a child process.
 */
import { spawn } from "node:child_process"
import { mkdtemp, readFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

export const bin = fileURLToPath(new URL("../../bin/edgeline.mjs", import.meta.url))
export const fixtures = fileURLToPath(new URL("../../../recipes/test/fixtures/", import.meta.url))
export const sample = join(fixtures, "conversation-16k-mono.wav")
const logModules = fileURLToPath(new URL("./log-modules.mjs", import.meta.url))

export interface Result {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

export interface Options {
  /** Bytes for stdin (else stdin is empty). */
  readonly stdin?: Uint8Array | undefined
  /** A file descriptor for stdout instead of a pipe (e.g. an fd of /dev/full). */
  readonly stdout?: number | undefined
  readonly cwd?: string | undefined
  readonly env?: NodeJS.ProcessEnv | undefined
  /** Killed after this long (default: never). */
  readonly timeoutMs?: number | undefined
}

/** Runs a command to its end; never rejects for a non-zero exit, so a test can assert on it. */
export const run = (
  file: string,
  args: ReadonlyArray<string>,
  options: Options = {},
): Promise<Result> =>
  new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env,
      timeout: options.timeoutMs,
      stdio: ["pipe", options.stdout ?? "pipe", "pipe"],
    })
    let stdout = ""
    let stderr = ""
    child.stdout?.setEncoding("utf8").on("data", (d: string) => (stdout += d))
    child.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    child.on("error", reject)
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }))
    child.stdin?.on("error", () => {}) // the command may exit before reading all of it
    child.stdin?.end(options.stdin)
  })

export const edgeline = (args: ReadonlyArray<string>, options: Options = {}): Promise<Result> =>
  run(process.execPath, [bin, ...args], options)

/** Runs the command with a module-resolution log; returns the result and every URL it loaded. */
export const edgelineLoading = async (
  args: ReadonlyArray<string>,
): Promise<Result & { readonly loaded: ReadonlyArray<string> }> => {
  const log = join(await mkdtemp(join(tmpdir(), "edgeline-modules-")), "modules.log")
  const result = await run(process.execPath, ["--import", logModules, bin, ...args], {
    env: { ...process.env, EDGELINE_MODULE_LOG: log },
  })
  const loaded = (await readFile(log, "utf8").catch(() => "")).split("\n").filter(Boolean)
  return { ...result, loaded }
}
