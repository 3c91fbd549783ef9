/**
 * The runtime-web README's Vite app, made from the README's blocks exactly as
 * written, in a folder outside the workspace with our tarballs installed
 * (npm, hoisted): it builds without warnings, typechecks, and in Chromium
 * gates the fixture to the same segments as Node, as built (`vite preview`)
 * and on the dev server's first cold load. Chromium starts once for the file.
 */
import { rm } from "node:fs/promises"
import { join } from "node:path"
import { stripVTControlCharacters } from "node:util"
import type { Browser } from "playwright"
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest"
import { launch, offMachine, runGatePage } from "../support/browser.js"
import { exec, type Result, tail } from "../support/exec.js"
import { install } from "../support/install.js"
import { fixtureWav } from "../support/paths.js"
import { expectSameSegments, nodeSegments, type Segment } from "../support/segments.js"
import { makeTempDir, removeTempDir } from "../support/temp.js"
import { tsc } from "../support/typecheck.js"
import { startVite } from "../support/vite-server.js"
import { appBlocks, makeWebApp, unplacedBlocks } from "../support/web-app.js"

const tarballs = inject("tarballs")

/**
 * Warnings in a build's output. Rolldown's PLUGIN_TIMINGS is not about the
 * app: it says JS plugins took most of the build time, which they do on a
 * loaded machine; it is left out, every other warning counts.
 */
const warnings = (build: Result): Array<string> => {
  // Colour codes may precede a report's tag; the timings report says only that the machine was busy.
  const plain = stripVTControlCharacters(build.stderr)
  const reports = plain.split(/\n(?=\[[A-Z_]+\])/).map((r) => r.trim())
  return [
    ...reports.filter((r) => r !== "" && !r.startsWith("[PLUGIN_TIMINGS]")),
    ...build.stdout.split("\n").filter((line) => /\(!\)|warn/i.test(line)),
  ]
}

let temp: string
let app: string
let built: Result
let reference: ReadonlyArray<Segment>
let browser: Browser
beforeAll(async () => {
  temp = await makeTempDir("web-app")
  app = join(temp, "app")
  await makeWebApp(app, tarballs)
  await install(app, "hoisted")
  built = await exec(process.execPath, [join(app, "node_modules/vite/bin/vite.js"), "build"], {
    cwd: app,
    timeoutMs: 300_000,
  })
  reference = await nodeSegments(fixtureWav)
  browser = await launch()
})
afterAll(async () => {
  await browser?.close()
  await removeTempDir(temp)
})

describe("the runtime-web README's Vite app", () => {
  it("is in the README: every app block names its file, index.html and vite.config.ts among them", () => {
    expect(unplacedBlocks().map((b) => `${b.lang} block at line ${b.line}`)).toEqual([])
    expect(appBlocks().map((b) => b.file)).toEqual(
      expect.arrayContaining(["index.html", "vite.config.ts"]),
    )
  })

  it("builds with vite build, without warnings", () => {
    expect(built.code, tail(built)).toBe(0)
    expect(warnings(built)).toEqual([])
  })

  it("typechecks: tsc --strict --noEmit", async () => {
    const checked = await tsc(app, "--noEmit")
    expect(checked.code, tail(checked)).toBe(0)
  })

  it("as built (vite preview): isolated by COOP/COEP, gates the fixture to Node's segments, nothing requested beyond localhost", async () => {
    const server = await startVite(app, "preview")
    try {
      const response = await fetch(server.url)
      expect(response.headers.get("cross-origin-opener-policy")).toBe("same-origin")
      expect(response.headers.get("cross-origin-embedder-policy")).toBe("require-corp")
      const run = await runGatePage(browser, server.url, fixtureWav)
      expect(run.segments, run.problem).toBeDefined()
      expectSameSegments(run.segments!, reference)
      expect(run.crossOriginIsolated).toBe(true)
      expect(offMachine(run.requests)).toEqual([])
      // The model and ORT's wasm came from the app's own server.
      expect(run.requests.some((url) => /\.onnx$/.test(url))).toBe(true)
      expect(run.requests.some((url) => /\.wasm$/.test(url))).toBe(true)
    } finally {
      await server.stop()
    }
  })

  it("on the dev server with a cold cache: loads once, no reload, and the run completes", async () => {
    await rm(join(app, "node_modules/.vite"), { recursive: true, force: true })
    const server = await startVite(app, "dev")
    try {
      const run = await runGatePage(browser, server.url, fixtureWav)
      expect(run.loads, `${run.problem}\nvite:\n${server.log()}`).toBe(1)
      expect(run.segments, run.problem).toBeDefined()
      expectSameSegments(run.segments!, reference)
      expect(offMachine(run.requests)).toEqual([])
    } finally {
      await server.stop()
    }
  })
})
