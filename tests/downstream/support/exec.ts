/** Running a command to its end: exit code, output and time, never a throw for a non-zero exit. */
import { spawn } from "node:child_process"
import { userEnv } from "./env.js"

export interface Result {
  readonly command: string
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  readonly ms: number
}

export interface Options {
  readonly cwd: string
  readonly env?: NodeJS.ProcessEnv | undefined
  /** Killed after this long (default 10 minutes): a hung command fails the test, not the run. */
  readonly timeoutMs?: number | undefined
}

export const exec = (
  file: string,
  args: ReadonlyArray<string>,
  options: Options,
): Promise<Result> =>
  new Promise((resolve, reject) => {
    const started = performance.now()
    const command = [file, ...args].join(" ")
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env ?? userEnv(),
      stdio: ["ignore", "pipe", "pipe"],
      timeout: options.timeoutMs ?? 600_000,
    })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk
    })
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk
    })
    child.on("error", reject)
    child.on("close", (code, signal) => {
      if (signal !== null) stderr += `\n(killed by ${signal})`
      resolve({ command, code, stdout, stderr, ms: performance.now() - started })
    })
  })

/** The end of a command's output, for a failure message. */
export const tail = (result: Result, lines = 40): string =>
  `$ ${result.command}\n(exit ${result.code})\n${`${result.stdout}\n${result.stderr}`.trim().split("\n").slice(-lines).join("\n")}`

/** Runs a command and throws with its output unless it exits 0. */
export const execOk = async (
  file: string,
  args: ReadonlyArray<string>,
  options: Options,
): Promise<Result> => {
  const result = await exec(file, args, options)
  if (result.code !== 0) throw new Error(`command failed:\n${tail(result)}`)
  return result
}
