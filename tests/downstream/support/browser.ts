/**
 * Debian's Chromium through Playwright, with the project's launch flags
 * (tooling/browser.mjs, DEVELOPERS.md): no downloaded browser, no network
 * beyond localhost. A page is watched for what a test asks about: every
 * request, every load of the page, console errors.
 */
import { type Browser, chromium, type Page } from "playwright"
import { CHROMIUM, chromiumArgs, chromiumMissing } from "../../../tooling/browser.mjs"

export const launch = (): Promise<Browser> => {
  const missing = chromiumMissing()
  if (missing !== undefined) throw new Error(`these tests need Chromium: ${missing}`)
  return chromium.launch({ executablePath: CHROMIUM, args: chromiumArgs() })
}

export interface WatchedPage {
  readonly page: Page
  /** Every URL requested by the page and its workers, in order. */
  readonly requests: Array<string>
  /** `load` events of the main frame: more than one means the page reloaded. */
  readonly loads: () => number
  /** Resolves when the page loads a second time (a reload). */
  readonly reloaded: Promise<void>
  /** Console errors and uncaught page errors, for failure messages. */
  readonly errors: Array<string>
  readonly close: () => Promise<void>
}

/** A fresh context (own cache, no service workers) and page, watched from the first request. */
export const openPage = async (browser: Browser): Promise<WatchedPage> => {
  const context = await browser.newContext()
  const page = await context.newPage()
  const requests: Array<string> = []
  const errors: Array<string> = []
  let loads = 0
  let onReload = () => {}
  const reloaded = new Promise<void>((resolve) => {
    onReload = resolve
  })
  context.on("request", (request) => {
    requests.push(request.url())
  })
  page.on("load", () => {
    loads += 1
    if (loads > 1) onReload()
  })
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`console: ${message.text()}`)
  })
  page.on("pageerror", (error) => {
    errors.push(`page: ${error.message}`)
  })
  return { page, requests, loads: () => loads, reloaded, errors, close: () => context.close() }
}

/** Requests that left the machine: anything but localhost, 127.0.0.1, blob: and data:. */
export const offMachine = (requests: ReadonlyArray<string>): Array<string> =>
  requests.filter((url) => {
    const { protocol, hostname } = new URL(url)
    if (protocol === "blob:" || protocol === "data:") return false
    return !["localhost", "127.0.0.1", "[::1]"].includes(hostname)
  })

export interface GateRun {
  /** The segments the page printed, or undefined when it failed or reloaded first. */
  readonly segments: ReadonlyArray<{ readonly start: number; readonly end: number }> | undefined
  /** What the page showed instead, with its errors, for a failure message. */
  readonly problem: string
  readonly crossOriginIsolated: boolean
  readonly loads: number
  readonly requests: ReadonlyArray<string>
}

/**
 * Opens the README's page (a file input, and `#segments` where the result
 * appears as JSON or "failed: …"), uploads a WAV and waits for the result, or
 * for a reload, which loses the run.
 */
export const runGatePage = async (
  browser: Browser,
  url: string,
  wav: string,
  timeoutMs = 180_000,
): Promise<GateRun> => {
  const watched = await openPage(browser)
  const { page } = watched
  // A cold dev server bundles dependencies before it answers; two busy cores are slow.
  page.setDefaultTimeout(timeoutMs)
  try {
    await page.goto(url)
    await page.setInputFiles("input[type=file]", wav)
    const finished = page
      .waitForFunction(
        () => /^(\[|failed)/.test(document.querySelector("#segments")?.textContent ?? ""),
        null,
        { timeout: timeoutMs, polling: 100 },
      )
      .then(() => "finished" as const)
    const outcome = await Promise.race([finished, watched.reloaded.then(() => "reloaded" as const)])
    // A reload after the result would be a bug too: give it a moment to show.
    if (outcome === "finished") await page.waitForTimeout(1_000)
    const text = outcome === "finished" ? await page.textContent("#segments") : null
    const segments = text?.startsWith("[") ? JSON.parse(text) : undefined
    return {
      segments,
      problem: [
        outcome === "reloaded" ? "the page reloaded during the run" : `the page shows: ${text}`,
        ...watched.errors,
      ].join("\n"),
      crossOriginIsolated: await page.evaluate(() => crossOriginIsolated),
      loads: watched.loads(),
      requests: [...watched.requests],
    }
  } finally {
    await watched.close()
  }
}
