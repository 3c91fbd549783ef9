/**
 * Browser commands run in Node, with Playwright's browser context: the one
 * place that sees every request the page, its workers and ORT's thread
 * workers make.
 */
import type { BrowserCommand } from "vitest/node"

const seen = new Set<string>()
let listening = false

const startRequestLog: BrowserCommand<[]> = (context) => {
  seen.clear()
  if (!listening && context.provider.name === "playwright") {
    listening = true
    ;(context as unknown as { context: import("playwright").BrowserContext }).context.on(
      "request",
      (request) => {
        seen.add(request.url())
      },
    )
  }
}

const requestLog: BrowserCommand<[]> = () => [...seen]

export const commands = { startRequestLog, requestLog }
