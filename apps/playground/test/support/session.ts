/**
 * One e2e session: the playground server as `npm start` runs it (from the
 * build, on free ports, with a fresh data directory), and a page in
 * Debian's Chromium driven by Playwright. Every console error and page
 * error is collected; tests assert there were none. Screenshots go to
 * test-artifacts/ (kept by CI as artifacts).
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { type Browser, chromium, type Page } from "playwright-core"
import { CHROMIUM, chromiumArgs } from "../../../../tooling/browser.mjs"
import * as Playground from "../../dist/node/server/Playground.js"

/** The browser's own console line for a request the offline switch cut on purpose. */
export const CUT_BY_OFFLINE_SWITCH = /Failed to load resource: net::ERR_EMPTY_RESPONSE/

export const ARTIFACTS = fileURLToPath(new URL("../../test-artifacts/", import.meta.url))

export interface Session {
  readonly playground: Playground.Playground
  readonly browser: Browser
  readonly page: Page
  /** Console errors and uncaught page errors so far, as text. */
  readonly errors: Array<string>
  /** Saves a full-page screenshot as test-artifacts/<name>.png. */
  readonly screenshot: (name: string) => Promise<void>
  readonly close: () => Promise<void>
}

export interface SessionOptions {
  readonly viewport?: { readonly width: number; readonly height: number } | undefined
  /**
   * Console messages that are expected and not errors of the page, e.g. the
   * browser's own "Failed to load resource" line for a request the offline
   * switch cut on purpose. Keep these narrow.
   */
  readonly expectedErrors?: ReadonlyArray<RegExp> | undefined
  /** More Chromium flags, e.g. a fake microphone fed from a WAV file. */
  readonly args?: ReadonlyArray<string> | undefined
}

export const open = async (options: SessionOptions = {}): Promise<Session> => {
  const dataDirectory = await mkdtemp(join(tmpdir(), "edgeline-playground-"))
  const playground = await Playground.start({ dataDirectory })
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [...chromiumArgs(), ...(options.args ?? [])],
  })
  const page = await browser.newPage({ viewport: options.viewport ?? { width: 1280, height: 800 } })
  const errors: Array<string> = []
  const expected = options.expectedErrors ?? []
  page.on("console", (message) => {
    if (message.type() !== "error") return
    const text = message.text()
    if (!expected.some((pattern) => pattern.test(text))) errors.push(text)
  })
  page.on("pageerror", (error) => errors.push(`page error: ${error.message}`))
  await mkdir(ARTIFACTS, { recursive: true })
  return {
    playground,
    browser,
    page,
    errors,
    screenshot: async (name) => {
      await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true })
    },
    close: async () => {
      await browser.close()
      await playground.close()
      await rm(dataDirectory, { recursive: true, force: true })
    },
  }
}

/** Loads the page and waits until the app has rendered. */
export const load = async (session: Session, hash = ""): Promise<Page> => {
  await session.page.goto(`${session.playground.url}${hash}`)
  await session.page.getByRole("heading", { name: "Edgeline playground" }).waitFor()
  return session.page
}

/** Flips the header's offline switch (a keyboard user's Space) and waits until the page says it. */
export const setOnline = async (page: Page, online: boolean): Promise<void> => {
  const toggle = page.getByRole("switch", { name: "Online" })
  await toggle.and(page.locator(`[aria-checked="${!online}"]`)).click()
  await toggle.and(page.locator(`[aria-checked="${online}"]`)).waitFor()
}
