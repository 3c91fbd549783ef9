/**
 * Browser commands: they run in Node, beside the page, for what a page
 * cannot do itself. Publishing a new version into the registry (what the
 * fleet's operator does while devices run), reading the telemetry the
 * ingest stored, the list of every request the browser made (Playwright's
 * context sees them all, the page's HTTP cache hits included), this
 * origin's storage quota (Chrome DevTools Protocol), a fresh page of the
 * same origin: a reload, whose result the test reads, and an OTLP metrics
 * intake on another origin, with what it received.
 */
import { readFile } from "node:fs/promises"
import type {} from "@vitest/browser-playwright"
import { Effect } from "effect"
import type { BrowserContext, CDPSession } from "playwright"
import type { BrowserCommand } from "vitest/node"
import { KeyFiles, Publish } from "../../../src/node/index.js"
import * as OtlpReceiver from "../../support/OtlpReceiver.js"
import type { OtlpExport, Published, PublishOptions } from "./context.js"

const publish: BrowserCommand<[options: PublishOptions]> = async (
  _context,
  options,
): Promise<Published> => {
  const key = await Effect.runPromise(KeyFiles.readPrivate(options.keyPath))
  const published = await Effect.runPromise(
    Publish.publish({
      model: options.model,
      name: options.name,
      version: options.version,
      channel: options.channel,
      key,
      out: options.directory,
    }),
  )
  return { manifest: published.manifest.version, chunks: published.model.chunks }
}

/** The ingest's JSONL file, parsed line by line; none yet when it has no line. */
const readJsonLines: BrowserCommand<[path: string]> = async (_context, path) => {
  const text = await readFile(path, "utf8").catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return ""
    throw e
  })
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as unknown)
}

const seen: Array<string> = []
const watched = new WeakSet<BrowserContext>()

const startRequestLog: BrowserCommand<[]> = (context) => {
  seen.length = 0
  if (!watched.has(context.context)) {
    watched.add(context.context)
    context.context.on("request", (request) => {
      seen.push(request.url())
    })
  }
}

/** Every URL requested since `startRequestLog`, in order, repeats included. */
const requestLog: BrowserCommand<[]> = () => [...seen]

/** The DevTools sessions holding quota overrides: Chromium drops an override when its session ends. */
const quotaSessions = new Map<string, CDPSession>()

/**
 * Caps this origin's storage at `bytes` (undefined: back to the browser's
 * own quota), as a nearly full disk would: writes past it fail with
 * QuotaExceededError.
 */
const overrideQuota: BrowserCommand<[origin: string, bytes: number | undefined]> = async (
  context,
  origin,
  bytes,
) => {
  const held = quotaSessions.get(origin)
  quotaSessions.delete(origin)
  if (bytes === undefined) {
    if (held !== undefined) {
      await held.send("Storage.overrideQuotaForOrigin", { origin })
      await held.detach()
    }
    return
  }
  const cdp = held ?? (await context.context.newCDPSession(context.page))
  await cdp.send("Storage.overrideQuotaForOrigin", { origin, quotaSize: bytes })
  quotaSessions.set(origin, cdp)
}

/**
 * Loads `url` in a new tab of the same browser profile (same storage) and
 * gives what its script left in `window.edgelineResult` (a promise), then
 * closes the tab: a page reload, seen from outside.
 */
const freshPage: BrowserCommand<[url: string]> = async (context, url) => {
  const page = await context.context.newPage()
  try {
    const errors: Array<string> = []
    page.on("pageerror", (error) => errors.push(error.message))
    await page.goto(url)
    await page.waitForFunction(() => "edgelineResult" in window, undefined, { timeout: 60_000 })
    const result = await page.evaluate(
      () => (window as unknown as { edgelineResult: Promise<unknown> }).edgelineResult,
    )
    if (errors.length > 0) throw new Error(`the page failed: ${errors.join("; ")}`)
    return result
  } finally {
    await page.close()
  }
}

/** The intake a test started (one at a time: the browser tests run one file at a time). */
let collector: OtlpReceiver.OtlpReceiver | undefined

/** Starts an OTLP/HTTP metrics intake that any origin may post to; gives its /v1/metrics URL. */
const startOtlpReceiver: BrowserCommand<[]> = async () => {
  await collector?.close()
  collector = await OtlpReceiver.start({ cors: true })
  return collector.url
}

/** What the intake received so far, and what it refused. */
const otlpReceived: BrowserCommand<[]> = () => ({
  exports: (collector?.exports ?? []).map(
    (e): OtlpExport => ({ headers: { ...e.headers } as Record<string, string>, body: e.body }),
  ),
  refused: [...(collector?.refused ?? [])],
})

const stopOtlpReceiver: BrowserCommand<[]> = async () => {
  await collector?.close()
  collector = undefined
}

export const commands = {
  startOtlpReceiver,
  otlpReceived,
  stopOtlpReceiver,
  publish,
  readJsonLines,
  startRequestLog,
  requestLog,
  overrideQuota,
  freshPage,
}
