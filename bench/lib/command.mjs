// Timing whole processes: a command's wall time from spawn to exit, its first
// byte of output, its peak RSS (via peak-rss.mjs), its stdout. Whole-process
// benchmarks compare these.
import { spawn } from "node:child_process"
import { mkdtemp, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const peakRss = fileURLToPath(new URL("./peak-rss.mjs", import.meta.url))

/** The `edgeline` bin as users run it (the committed shim that npm links). */
export const EDGELINE = fileURLToPath(
  new URL("../../packages/cli/bin/edgeline.mjs", import.meta.url),
)

/**
 * Runs `node …args` once; resolves with wall ms (spawn to exit), ms to the
 * first byte of stdout, peak RSS bytes and stdout; `env` adds to this
 * process's environment. Rejects on a non-zero exit, with its stderr.
 */
export const timeNode = async (args, { stdin, env } = {}) => {
  const dir = await mkdtemp(join(tmpdir(), "edgeline-bench-rss-"))
  const rssFile = join(dir, "rss")
  try {
    const t0 = performance.now()
    let firstByte = Number.NaN
    const { code, stdout, stderr } = await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ["--import", peakRss, ...args], {
        env: { ...process.env, ...env, EDGELINE_PEAK_RSS_FILE: rssFile },
        stdio: [stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      })
      let out = ""
      let err = ""
      child.stdout.setEncoding("utf8").on("data", (d) => {
        if (out === "") firstByte = performance.now() - t0
        out += d
      })
      child.stderr.setEncoding("utf8").on("data", (d) => (err += d))
      child.on("error", reject)
      child.on("close", (c) => resolve({ code: c, stdout: out, stderr: err }))
      if (stdin !== undefined) stdin.pipe(child.stdin)
    })
    const ms = performance.now() - t0
    if (code !== 0) throw new Error(`node ${args.join(" ")} exited ${code}: ${stderr.trim()}`)
    return {
      ms,
      firstByteMs: firstByte,
      peakRssBytes: Number(await readFile(rssFile, "utf8")),
      stdout,
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
