/**
 * The Distill panel's data: the latest distillation report with its plots,
 * and the latest flywheel run with its chart.
 *
 * "Latest" is the newest valid file (by modification time) in the data
 * directory (`.data/` for `npm start`, `--data` to change it), else what
 * ships with the playground:
 *
 *   report    <data>/distill/report.json or <data>/distill/<run>/report.json,
 *             as `npx edgeline distill report --out .data/distill/<run>` (or
 *             `distill train`) writes it; else the shipped student's
 *             @edgeline/model-message-triage/report.json
 *   flywheel  <data>/flywheel/<name>.json, as
 *             `npx edgeline flywheel --json .data/flywheel/<name>.json` writes
 *             it; else data/flywheel.json here, a committed measured run
 *             (see data/README.md)
 *
 * A newer file that is not a report is skipped and named in the answer,
 * with why, so the panel can say it. The plots are drawn here, in Node,
 * with distill's own renderer (as the report page draws them), and cached
 * per file and modification time.
 *
 *   GET /api/distill/report        ReportAnswer (web/src/components/distill/DistillApi.ts)
 *   GET /api/distill/report.html   the self-contained report page beside the JSON
 *   GET /api/distill/flywheel      FlywheelAnswer
 */
import { readdir, readFile, stat } from "node:fs/promises"
import type { ServerResponse } from "node:http"
import { createRequire } from "node:module"
import { dirname, join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import { Evaluation, Report } from "@edgeline/distill"
import type {
  FlywheelAnswer,
  ReportAnswer,
  ReportJson,
  Skipped,
  Source,
} from "../web/src/components/distill/DistillApi.js"
import * as FlywheelChart from "./FlywheelChart.js"
import * as FlywheelRunFile from "./FlywheelRunFile.js"
import type { Handler } from "./Routes.js"

interface Fallback {
  readonly path: string
  /** How the panel names it. */
  readonly shown: string
}

const shippedReport = (): Fallback => ({
  path: createRequire(import.meta.url).resolve("@edgeline/model-message-triage/report.json"),
  shown: "@edgeline/model-message-triage/report.json",
})
const committedFlywheel: Fallback = {
  // From dist/node/server/ (built) to the app's data/.
  path: fileURLToPath(new URL("../../../data/flywheel.json", import.meta.url)),
  shown: "apps/playground/data/flywheel.json",
}

interface Candidate {
  readonly path: string
  readonly modified: Date
}

const withTime = async (path: string): Promise<Candidate | undefined> =>
  stat(path).then(
    (s) => (s.isFile() ? { path, modified: s.mtime } : undefined),
    () => undefined,
  )

/** `dir/name` and `dir/<sub>/name`, newest first. */
const findNamed = async (dir: string, name: string): Promise<Array<Candidate>> => {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
  const paths = entries.flatMap((e) =>
    e.isDirectory() ? [join(dir, e.name, name)] : e.name === name ? [join(dir, e.name)] : [],
  )
  return newestFirst(paths)
}

/** Every `*.json` in `dir`, newest first. */
const findJson = async (dir: string): Promise<Array<Candidate>> => {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
  return newestFirst(
    entries.filter((e) => e.isFile() && e.name.endsWith(".json")).map((e) => join(dir, e.name)),
  )
}

const newestFirst = async (paths: ReadonlyArray<string>) =>
  (await Promise.all(paths.map(withTime)))
    .filter((c): c is Candidate => c !== undefined)
    .sort((a, b) => b.modified.getTime() - a.modified.getTime())

const message = (e: unknown) => (e instanceof Error ? e.message : String(e))

/**
 * The first candidate `read` accepts (it throws for one it does not), with
 * the ones skipped before it; else the fallback, which must be readable.
 */
const latest = async <A>(
  dataDirectory: string,
  candidates: ReadonlyArray<Candidate>,
  fallback: Fallback,
  read: (path: string, modified: Date) => Promise<A>,
): Promise<{ value: A; source: Source; skipped: Array<Skipped> }> => {
  const skipped: Array<Skipped> = []
  for (const c of candidates) {
    const shown = join("<data>", relative(dataDirectory, c.path))
    try {
      const value = await read(c.path, c.modified)
      return {
        value,
        source: { kind: "data", path: shown, modified: c.modified.toISOString() },
        skipped,
      }
    } catch (e) {
      skipped.push({ path: shown, why: message(e) })
    }
  }
  const modified = (await stat(fallback.path)).mtime
  return {
    value: await read(fallback.path, modified),
    source: { kind: "shipped", path: fallback.shown, modified: modified.toISOString() },
    skipped,
  }
}

/** One cache entry per file and time: the plots take a fraction of a second to draw. */
const cache = new Map<string, Promise<unknown>>()
const cached = <A>(path: string, modified: Date, make: () => Promise<A>): Promise<A> => {
  const key = `${path}@${modified.getTime()}`
  let entry = cache.get(key) as Promise<A> | undefined
  if (entry === undefined) {
    entry = make()
    cache.set(key, entry)
    entry.catch(() => cache.delete(key))
  }
  return entry
}

const readJson = async (path: string): Promise<unknown> => {
  const text = await readFile(path, "utf8")
  try {
    return JSON.parse(text) as unknown
  } catch (e) {
    throw new Error(`not JSON (${message(e)})`)
  }
}

const readReport = (path: string, modified: Date) =>
  cached(path, modified, async () => {
    const report = (await readJson(path)) as ReportJson
    if (report?.format !== Evaluation.FORMAT) {
      throw new Error(
        `not a distillation report: expected "format": "${Evaluation.FORMAT}" (npx edgeline distill report writes one)`,
      )
    }
    const { extras: _, ...evaluation } = report
    const plots = await Report.plots(evaluation)
    const page = join(dirname(path), "report.html")
    const hasPage = (await withTime(page)) !== undefined
    return { report, plots, page: hasPage ? page : undefined }
  })

const readFlywheel = (path: string, modified: Date) =>
  cached(path, modified, async () => {
    const run = FlywheelRunFile.parse(await readJson(path))
    return { run, chart: await FlywheelChart.svg(run) }
  })

const send = (response: ServerResponse, status: number, type: string, body: string) => {
  response.writeHead(status, {
    "content-type": type,
    "cache-control": "no-store",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-embedder-policy": "require-corp",
  })
  response.end(body)
}

const latestReport = async (dataDirectory: string) =>
  latest(
    dataDirectory,
    await findNamed(join(dataDirectory, "distill"), "report.json"),
    shippedReport(),
    readReport,
  )

export const handler: Handler = async (request, response, path, { dataDirectory }) => {
  if (request.method !== "GET" || !path.startsWith("/api/distill/")) return false
  const route = path.split("?")[0]
  if (route === "/api/distill/report") {
    const { value, source, skipped } = await latestReport(dataDirectory)
    const answer: ReportAnswer = {
      source,
      skipped,
      report: value.report,
      plots: value.plots,
      pageUrl: value.page === undefined ? undefined : "/api/distill/report.html",
    }
    send(response, 200, "application/json", JSON.stringify(answer))
    return true
  }
  if (route === "/api/distill/report.html") {
    const { value } = await latestReport(dataDirectory)
    if (value.page === undefined) {
      send(
        response,
        404,
        "text/plain; charset=utf-8",
        "the latest report has no report.html beside it",
      )
    } else {
      send(response, 200, "text/html; charset=utf-8", await readFile(value.page, "utf8"))
    }
    return true
  }
  if (route === "/api/distill/flywheel") {
    const found = await latest(
      dataDirectory,
      await findJson(join(dataDirectory, "flywheel")),
      committedFlywheel,
      readFlywheel,
    )
    const answer: FlywheelAnswer = {
      source: found.source,
      skipped: found.skipped,
      run: found.value.run,
      chart: found.value.chart,
    }
    send(response, 200, "application/json", JSON.stringify(answer))
    return true
  }
  return false
}
