/**
 * A real nginx (the Debian package `nginx`) serving a directory on a free
 * loopback port, as a fleet's static host would: its own static-file module
 * answers with its own ETags, ranges (206, 416) and 304s, so the sync client
 * meets a production server's behaviour rather than a test double's.
 *
 *   const host = await Nginx.start({ root: "/tmp/…/registry" })
 *   … fetch(`${host.url}/channels/stable.json`) …
 *   await host.requests() // nginx's own access log, parsed
 *   await host.close()
 *
 * Everything nginx writes (config, pid, logs, temp paths) is in a temporary
 * prefix removed by `close`; it runs in the foreground as one process
 * (`master_process off`), so no worker drops to a user that could not read a
 * test's private temp directory, and a single signal stops it.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { accessSync, constants } from "node:fs"
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { delimiter, join } from "node:path"

/** One request as nginx logged it. */
export interface Logged {
  readonly method: string
  readonly path: string
  readonly status: number
  /** Body bytes nginx sent (headers excluded). */
  readonly bytes: number
  /** The request's Range header, if any. */
  readonly range?: string | undefined
  /** The request's If-None-Match header, if any. */
  readonly ifNoneMatch?: string | undefined
}

export interface Nginx {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string
  /** Every request nginx has logged so far, in order. */
  readonly requests: () => Promise<ReadonlyArray<Logged>>
  readonly close: () => Promise<void>
}

export interface Options {
  /** The directory served at `/`. */
  readonly root: string
}

const INSTALL_HINT =
  "install the Debian package `nginx` (apt-get install nginx; .ci/run installs it on CI)"

/** The nginx binary: /usr/sbin/nginx (Debian's), else one on PATH; a clear error when there is none. */
export const binary = (): string => {
  const candidates = [
    "/usr/sbin/nginx",
    ...(process.env.PATH ?? "").split(delimiter).map((dir) => join(dir, "nginx")),
  ]
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {}
  }
  throw new Error(`this test runs a real nginx and found none: ${INSTALL_HINT}`)
}

/** A port free now on 127.0.0.1 (the OS picks it; nginx binds it a moment later). */
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer()
    probe.once("error", reject)
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      probe.close(() => resolve(port))
    })
  })

/**
 * Tab-separated, one request a line. nginx writes "-" for an absent header;
 * `escape=json` keeps a header's tab or quote from breaking the columns.
 */
const LOG_FORMAT =
  "$request_method\\t$uri\\t$status\\t$body_bytes_sent\\t$http_range\\t$http_if_none_match"

const config = (prefix: string, root: string, port: number) => `
master_process off;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 64; }
http {
  # Only what a registry holds; nginx's defaults otherwise (strong ETags from
  # mtime and size, single and multiple ranges, If-None-Match).
  types { application/json json; }
  default_type application/octet-stream;
  log_format edgeline escape=json "${LOG_FORMAT}";
  access_log ${prefix}/access.log edgeline;
  client_body_temp_path ${prefix}/client_body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    # The hosting rules of the package's README: manifests revalidate, blobs never change.
    location /channels/ { add_header Cache-Control "no-cache"; }
    location /blobs/ { add_header Cache-Control "public, max-age=31536000, immutable"; }
  }
}
`

const parse = (line: string): Logged => {
  const [method = "", path = "", status = "0", bytes = "0", range = "-", ifNoneMatch = "-"] =
    line.split("\t")
  // escape=json writes a header's quotes as \"
  const header = (value: string) =>
    value === "-" || value === "" ? undefined : value.replaceAll('\\"', '"')
  return {
    method,
    path,
    status: Number(status),
    bytes: Number(bytes),
    range: header(range),
    ifNoneMatch: header(ifNoneMatch),
  }
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once("exit", () => resolve())
  })

/** Starts nginx on `options.root` and resolves once it answers HTTP. */
export const start = async (options: Options): Promise<Nginx> => {
  const nginx = binary()
  const prefix = await mkdtemp(join(tmpdir(), "edgeline-nginx-"))
  const port = await freePort()
  const conf = join(prefix, "nginx.conf")
  await writeFile(conf, config(prefix, options.root, port))
  // -e: the error log from the first line on (before the config is read, nginx
  // would otherwise open /var/log/nginx/error.log, which a user cannot write).
  const child = spawn(
    nginx,
    ["-p", prefix, "-c", conf, "-e", join(prefix, "error.log"), "-g", "daemon off;"],
    {
      stdio: ["ignore", "ignore", "pipe"],
    },
  )
  let stderr = ""
  child.stderr?.on("data", (data: Buffer) => {
    stderr += data.toString()
  })
  let spawnFailure: Error | undefined
  child.once("error", (error) => {
    spawnFailure = error
  })
  const url = `http://127.0.0.1:${port}`
  const errorLog = () => readFile(join(prefix, "error.log"), "utf8").catch(() => "")
  const stop = async () => {
    // A process that never started has nothing to stop or wait for.
    if (spawnFailure === undefined && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM")
      await exited(child)
    }
    await rm(prefix, { recursive: true, force: true })
  }

  const deadline = Date.now() + 10_000
  while (true) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const log = `${stderr}${await errorLog()}`.trim()
      await stop()
      throw new Error(
        `nginx exited (${child.exitCode ?? child.signalCode}) before answering: ${log}`,
      )
    }
    if (spawnFailure !== undefined) {
      await stop()
      throw new Error(`cannot start ${nginx} (${spawnFailure.message}): ${INSTALL_HINT}`)
    }
    // nginx itself, not whatever else may have taken the port since it was probed.
    const answered = await fetch(`${url}/`, { method: "HEAD" }).then(
      (response) => (response.headers.get("server") ?? "").startsWith("nginx"),
      () => false,
    )
    if (answered) break
    if (Date.now() > deadline) {
      const log = `${stderr}${await errorLog()}`.trim()
      await stop()
      throw new Error(`nginx did not answer on ${url} within 10 s: ${log}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }

  return {
    url,
    requests: async () => {
      const text = await readFile(join(prefix, "access.log"), "utf8").catch(() => "")
      return text
        .split("\n")
        .filter((line) => line !== "")
        .map(parse)
    },
    close: stop,
  }
}
