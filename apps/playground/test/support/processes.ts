/** Child processes for the `npm start` tests: run to the end, or start one and wait for a line. */
import { type ChildProcess, spawn } from "node:child_process"
import { createServer } from "node:net"

export interface Result {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

export interface Options {
  readonly cwd: string
  readonly env: NodeJS.ProcessEnv
  readonly timeoutMs?: number | undefined
}

/** Runs a command to its end; never rejects for a non-zero exit, so a test can assert on it. */
export const run = (file: string, args: ReadonlyArray<string>, options: Options): Promise<Result> =>
  new Promise((resolve, reject) => {
    const child = spawn(file, args, { ...options, timeout: options.timeoutMs, stdio: "pipe" })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
    child.stdin.end()
  })

export interface Started {
  readonly child: ChildProcess
  /** The first stdout line matching the pattern. */
  readonly line: string
  readonly stdout: () => string
  readonly stderr: () => string
  /** Resolves with the exit code once the process (group) has exited. */
  readonly exited: Promise<number | null>
}

/**
 * Starts a long-running command in its own process group (as a terminal
 * runs `npm start`) and waits for a stdout line matching `ready`.
 */
export const startUntil = (
  file: string,
  args: ReadonlyArray<string>,
  ready: RegExp,
  options: Options,
): Promise<Started> =>
  new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: "pipe",
      detached: true,
    })
    let stdout = ""
    let stderr = ""
    const exited = new Promise<number | null>((done) => child.on("close", (code) => done(code)))
    const timer = setTimeout(() => {
      reject(
        new Error(
          `no line matching ${ready} within ${options.timeoutMs} ms:\n${stdout}\n${stderr}`,
        ),
      )
      interrupt(child)
    }, options.timeoutMs ?? 600_000)
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d
      const line = stdout.split("\n").find((l) => ready.test(l))
      if (line === undefined) return
      clearTimeout(timer)
      resolve({ child, line, stdout: () => stdout, stderr: () => stderr, exited })
    })
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    child.on("error", reject)
    void exited.then((code) => {
      clearTimeout(timer)
      reject(
        new Error(`exited with ${code} before a line matching ${ready}:\n${stdout}\n${stderr}`),
      )
    })
  })

/** Ctrl-C in a terminal: SIGINT to the whole foreground process group. */
export const interrupt = (child: ChildProcess) => {
  if (child.pid !== undefined) process.kill(-child.pid, "SIGINT")
}

/** Free ports, found by binding port 0. */
export const freePorts = async (count: number): Promise<Array<number>> => {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve) => {
          const server = createServer()
          server.listen(0, "127.0.0.1", () => resolve(server))
        }),
    ),
  )
  const ports = servers.map((s) => (s.address() as { port: number }).port)
  await Promise.all(servers.map((s) => new Promise((done) => s.close(done))))
  return ports
}

/** Whether something can listen on `port` now. */
export const isFree = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const server = createServer()
    server.once("error", () => resolve(false))
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)))
  })
