/**
 * Browser commands run in Node, with Playwright's browser context: the one
 * place that sees every request the page, its workers and ORT's thread
 * workers make, and that can cut the network under them.
 */
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

export const commands = { startRequestLog, requestLog, goOffline, goOnline }
