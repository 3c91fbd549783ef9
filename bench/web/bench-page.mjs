// One browser session per benchmark: the Vite server, Chromium and the bench
// page, closed again whatever happens. Calls into the page time out instead
// of hanging, and say what the page and its workers complained about.
import { launch, unavailable } from "./browser.mjs"
import { startServer } from "./server.mjs"

const CALL_TIMEOUT_MS = 60_000

/** The result a browser benchmark reports when there is no browser to run it. */
export const browserUnavailable = ({ id, title, target }) => {
  const why = unavailable()
  if (why === undefined) return undefined
  return {
    id,
    title,
    summary: "Needs Chromium, which is not installed here.",
    headline: `ERROR: ${why}`,
    target,
    status: "ERROR",
    rows: [{ measure: "Chromium", value: why, target: "installed", result: "ERROR" }],
    raw: { error: why },
  }
}

/** The bench's own origin and in-memory URLs; anything else is a request beyond this machine's server. */
const LOCAL = /^(http:\/\/127\.0\.0\.1:\d+\/|data:|blob:)/

/** Requests beyond the local server, and whether ORT's wasm and the model came from it. */
export const offsite = (urls) => {
  const elsewhere = urls.filter((url) => !LOCAL.test(url))
  const local = urls.filter((url) => LOCAL.test(url))
  const fetchedLocally =
    local.some((url) => /\.wasm(\?|$)/.test(url)) && local.some((url) => url.includes(".onnx"))
  return {
    requests: urls.length,
    elsewhere,
    fetchedLocally,
    ok: elsewhere.length === 0 && fetchedLocally,
  }
}

/** The row proving ORT's wasm and the model came from the local server, never a CDN. */
export const requestsRow = (o) => ({
  measure: "requests beyond the local Vite server (page, workers, ORT threads)",
  value: `${o.elsewhere.length === 0 ? "none" : o.elsewhere.join(", ")} (of ${o.requests}; ORT's .wasm and the model local: ${o.fetchedLocally ? "yes" : "no"})`,
  target: "none; wasm and model local",
  result: o.ok ? "PASS" : "FAIL",
})

/**
 * Runs `fn(bench, info)` with the page open; `bench.call(name, ...args)`
 * calls `window.bench[name](...args)` on the page (arguments and results
 * cross as structured data: typed arrays are fine); `bench.requests()`
 * lists the URLs requested so far.
 */
export const withBenchPage = async (fn) => {
  const server = await startServer()
  let browser
  try {
    browser = await launch()
    const context = await browser.newContext()
    // The context sees every request: the page's, its workers' and ORT's thread workers'.
    const requested = new Set()
    context.on("request", (request) => requested.add(request.url()))
    const requests = () => [...requested]
    const page = await context.newPage()
    const complaints = []
    page.on("pageerror", (e) => complaints.push(`page error: ${e.message}`))
    page.on("console", (m) => {
      if (m.type() === "error") complaints.push(`console: ${m.text()}`)
    })
    const call = async (name, ...args) => {
      let timer
      const timeout = new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`bench.${name} took over ${CALL_TIMEOUT_MS / 1000} s`)),
          CALL_TIMEOUT_MS,
        )
      })
      try {
        return await Promise.race([
          page.evaluate(([n, a]) => window.bench[n](...a), [name, args]),
          timeout,
        ])
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e)
        throw new Error(`${message}${complaints.length ? ` (page: ${complaints.join("; ")})` : ""}`)
      } finally {
        clearTimeout(timer)
      }
    }
    await page.goto(new URL("index.html", server.url).href)
    await page.waitForFunction(() => window.bench !== undefined, null, {
      timeout: CALL_TIMEOUT_MS,
    })
    const info = { chromium: browser.version(), ...(await call("page")) }
    return await fn({ call, requests }, info)
  } finally {
    await browser?.close()
    await server.close()
  }
}
