/**
 * Browser commands run in Node, with Playwright's browser context: the one
 * place that sees every request the page, its workers and ORT's thread
 * workers make, and that can cut the network under them; and with Node's
 * files, where a global setup's servers write their logs.
 */
import { readFile } from "node:fs/promises"
import type { BrowserContext } from "playwright"
import type { BrowserCommand } from "vitest/node"

const seen = new Set<string>()
const watched = new WeakSet<BrowserContext>()

const browserContext = (context: Parameters<BrowserCommand<[]>>[0]): BrowserContext => {
  if (context.provider.name !== "playwright") {
    throw new Error("these browser commands need the Playwright provider")
  }
  return (context as unknown as { context: BrowserContext }).context
}

const startRequestLog: BrowserCommand<[]> = (context) => {
  seen.clear()
  const browser = browserContext(context)
  if (!watched.has(browser)) {
    watched.add(browser)
    browser.on("request", (request) => {
      seen.add(request.url())
    })
  }
}

const requestLog: BrowserCommand<[]> = () => [...seen]

/**
 * Cuts the network for URLs containing `fragment`, as a dropped connection
 * would (Playwright's whole-context offline mode would also cut the test
 * runner's own connection to the page).
 */
const goOffline: BrowserCommand<[fragment: string]> = (context, fragment) =>
  browserContext(context).route(
    (url) => url.href.includes(fragment),
    (route) => route.abort("internetdisconnected"),
  )

const goOnline: BrowserCommand<[]> = (context) => browserContext(context).unrouteAll()

/**
 * A JSONL file a global setup named (the cloud tier's request log), parsed
 * line by line; none yet when it has no line.
 */
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

export const commands = { startRequestLog, requestLog, goOffline, goOnline, readJsonLines }
