/**
 * The Models panel against the playground's dev registry: the page syncs
 * message-triage 1.0.0 on its first visit; the test publishes 1.1.0 (the
 * same student with a metadata entry appended, so onnxruntime still loads
 * it and only its last chunk is new); Update downloads it with progress and
 * activates it, and the triage pipeline runs on it; Rollback returns to
 * 1.0.0. Offline, Update fails with a clear message and the active model
 * keeps working.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Student from "@edgeline/model-message-triage"
import type { Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { withMetadata } from "../../../../packages/sync/test/support/OnnxVariant.js"
import { seriousViolations } from "../support/axe.js"
import { expectReadable } from "../support/layout.js"
import * as Session from "../support/session.js"

const models = (page: Page) => page.getByRole("region", { name: "Models" })
const triage = (page: Page) => page.getByRole("region", { name: "Message triage" })
const row = (page: Page) => models(page).locator('[data-model="message-triage"]')
const cell = (page: Page, testId: string) => row(page).getByTestId(testId).textContent()

/** Runs one triage and waits for its result; returns the pipeline's caption. */
const triageOnce = async (page: Page, runs: number) => {
  await triage(page).getByRole("button", { name: "Triage", exact: true }).click()
  await expect
    .poll(() => triage(page).getByTestId("total-messages").textContent(), { timeout: 60_000 })
    .toBe(String(runs))
  return triage(page).getByRole("figure", { name: "Message triage pipeline" }).locator("figcaption")
}

/** Publishes message-triage 1.1.0: the student with a metadata entry appended (new bytes, still loadable). */
const publishVariant = async (session: Session.Session, directory: string) => {
  const original = new Uint8Array(
    await readFile(createRequire(import.meta.url).resolve(Student.specifier)),
  )
  const file = join(directory, "message-triage-1.1.0.onnx")
  await writeFile(file, withMetadata(original, "edgeline.playground.version", "1.1.0"))
  await session.playground.registry.publish({
    name: "message-triage",
    version: "1.1.0",
    file,
    metadata: { threshold: Student.threshold },
  })
  return original
}

/** A playground (online or cut off from the start), a scratch directory for model variants, and the page at Models. */
const openAtModels = async ({ online }: { readonly online: boolean }) => {
  const session = await Session.open({ expectedErrors: [Session.CUT_BY_OFFLINE_SWITCH] })
  const scratch = await mkdtemp(join(tmpdir(), "edgeline-models-test-"))
  session.playground.network.set(online)
  const page = await Session.load(session, "#models")
  const close = async () => {
    await session.close()
    await rm(scratch, { recursive: true, force: true })
  }
  return { session, page, scratch, close }
}

describe("the models panel", () => {
  let session: Session.Session
  let page: Page
  let scratch: string
  let close: (() => Promise<void>) | undefined
  beforeAll(async () => {
    ;({ session, page, scratch, close } = await openAtModels({ online: true }))
  })
  afterAll(() => close?.())

  it("shows the synced model: active 1.0.0, as the registry offers", async () => {
    await expect.poll(() => cell(page, "active-version"), { timeout: 60_000 }).toMatch(/^1\.0\.0 /)
    await expect(cell(page, "offered-version")).resolves.toMatch(/^1\.0\.0 /)
    await expect(cell(page, "previous-version")).resolves.toBe("–")
    await expect(models(page).getByRole("log").textContent()).resolves.toContain(
      "Activated message-triage 1.0.0",
    )
    await expect(
      models(page).getByRole("button", { name: "Roll back message-triage" }).isDisabled(),
    ).resolves.toBe(true)
    const caption = await triageOnce(page, 1)
    await expect(caption.textContent()).resolves.toContain("message-triage 1.0.0")
  })

  it("updates to a newly published 1.1.0 with progress, and triage runs on it", async () => {
    const original = await publishVariant(session, scratch)
    await models(page).getByRole("button", { name: "Refresh" }).click()
    await expect.poll(() => cell(page, "offered-version")).toMatch(/^1\.1\.0 /)
    await expect(cell(page, "active-version")).resolves.toMatch(/^1\.0\.0 /)

    await models(page).getByRole("button", { name: "Update" }).click()
    await expect
      .poll(() => models(page).getByTestId("sync-outcome").textContent(), { timeout: 60_000 })
      .toBe("Activated message-triage 1.1.0.")
    const progress = models(page).getByTestId("sync-progress")
    await expect(
      models(page)
        .getByLabel(/Download of message-triage 1\.1\.0/)
        .count(),
    ).resolves.toBe(1)
    const [value, max] = await Promise.all([
      progress.getAttribute("value"),
      progress.getAttribute("max"),
    ])
    expect(Number(value)).toBe(Number(max))
    // Only the changed tail came down, not the whole model.
    expect(Number(max)).toBeGreaterThan(0)
    expect(Number(max)).toBeLessThan(original.length)
    await expect(models(page).getByRole("log").textContent()).resolves.toContain(
      "Activated message-triage 1.1.0 (was 1.0.0)",
    )
    await expect.poll(() => cell(page, "active-version")).toMatch(/^1\.1\.0 /)
    await expect(cell(page, "previous-version")).resolves.toBe("1.0.0")
    await session.screenshot("models-updated")

    const caption = await triageOnce(page, 2)
    await expect
      .poll(() => caption.textContent(), { timeout: 30_000 })
      .toContain("message-triage 1.1.0")
    await expect(triage(page).getByTestId("triage-label").textContent()).resolves.toMatch(
      /^(spam|ham)$/,
    )
  })

  it("rolls back to 1.0.0, and triage runs on it again", async () => {
    await models(page).getByRole("button", { name: "Roll back message-triage" }).click()
    await expect
      .poll(() => models(page).getByTestId("sync-outcome").textContent())
      .toBe("message-triage is back on 1.0.0.")
    await expect.poll(() => cell(page, "active-version")).toMatch(/^1\.0\.0 /)
    await expect(models(page).getByRole("log").textContent()).resolves.toContain(
      "Rolled message-triage back from 1.1.0 to 1.0.0",
    )
    const caption = await triageOnce(page, 3)
    await expect
      .poll(() => caption.textContent(), { timeout: 30_000 })
      .toContain("message-triage 1.0.0")
  })

  it("offline: Update fails with a clear message and the active model keeps working", async () => {
    await Session.setOnline(page, false)
    await models(page).getByRole("button", { name: "Update" }).click()
    await expect
      .poll(() => models(page).getByTestId("sync-outcome").textContent(), { timeout: 60_000 })
      .toMatch(/^Update failed: .+ The active model keeps working/)
    await expect(
      models(page)
        .getByTestId("sync-outcome")
        .evaluate((e) => e.classList.contains("error")),
    ).resolves.toBe(true)
    await expect(models(page).getByTestId("registry-error").textContent()).resolves.toContain(
      "cannot be read now",
    )
    await expect(cell(page, "active-version")).resolves.toMatch(/^1\.0\.0 /)
    // What the registry offered when it was last read, said to be that.
    await expect(cell(page, "offered-version")).resolves.toMatch(/^1\.1\.0 /)
    // The client's own CheckFailed status, in the log.
    await expect(models(page).getByRole("log").textContent()).resolves.toContain("Check failed")
    const caption = await triageOnce(page, 4)
    await expect(triage(page).getByTestId("triage-label").textContent()).resolves.toMatch(
      /^(spam|ham)$/,
    )
    await expect(caption.textContent()).resolves.toContain("message-triage 1.0.0")
    await session.screenshot("models-offline")
    await Session.setOnline(page, true)
  })

  it("reads at phone width without sideways scrolling", async () => {
    await page.setViewportSize({ width: 390, height: 844 })
    await expectReadable(page)
    await models(page).screenshot({ path: `${Session.ARTIFACTS}models-phone.png` })
    await page.setViewportSize({ width: 1280, height: 800 })
  })

  it("has no serious accessibility violations (axe-core)", async () => {
    expect(await seriousViolations(page)).toEqual([])
  })

  it("logged no console errors", () => {
    expect(session.errors).toEqual([])
  })
})

describe("a first visit while offline", () => {
  let session: Session.Session
  let page: Page
  let scratch: string
  let close: (() => Promise<void>) | undefined
  beforeAll(async () => {
    ;({ session, page, scratch, close } = await openAtModels({ online: false }))
  })
  afterAll(() => close?.())

  it("triages on the student bundled with the page, then switches to the synced one", async () => {
    await expect
      .poll(() => models(page).textContent(), { timeout: 60_000 })
      .toContain("Nothing synced on this device yet")
    await expect(cell(page, "active-version")).resolves.toBe("none yet")
    // The failed first check is logged once: the client's own CheckFailed, no echo of it.
    const log = models(page).getByRole("log")
    await expect.poll(() => log.textContent()).toContain("Check failed")
    await expect(
      log.getByRole("listitem").filter({ hasText: "Check failed" }).count(),
    ).resolves.toBe(1)
    const caption = await triageOnce(page, 1)
    await expect(triage(page).getByTestId("triage-label").textContent()).resolves.toMatch(
      /^(spam|ham)$/,
    )
    await expect(caption.textContent()).resolves.toContain("message-triage bundled")

    // A version whose bytes differ from the bundled copy: core keeps a session
    // whose bytes are the same, so syncing 1.0.0 would change nothing visible.
    await publishVariant(session, scratch)
    await Session.setOnline(page, true)
    await models(page).getByRole("button", { name: "Update" }).click()
    await expect
      .poll(() => models(page).getByTestId("sync-outcome").textContent(), { timeout: 60_000 })
      .toBe("Activated message-triage 1.1.0.")
    await expect.poll(() => models(page).textContent()).not.toContain("Nothing synced")
    await triageOnce(page, 2)
    await expect
      .poll(() => caption.textContent(), { timeout: 30_000 })
      .toContain("message-triage 1.1.0")
  })

  it("logged no console errors", () => {
    expect(session.errors).toEqual([])
  })
})

describe("a device whose model store cannot be opened", () => {
  let session: Session.Session
  let page: Page
  beforeAll(async () => {
    session = await Session.open()
    // The page opens the worker's database first at a far newer version, so
    // the worker's own open fails (VersionError), as a blocked store would.
    await session.page.addInitScript(() => {
      indexedDB.open("edgeline-playground-sync", 999)
    })
    page = await Session.load(session, "#models")
  })
  afterAll(() => session?.close())

  it("says sync is off, refuses Update with what to do, and triages on the bundled student", async () => {
    await expect
      .poll(() => models(page).getByTestId("store-error").textContent(), { timeout: 60_000 })
      .toContain("Sync is off")
    await expect(models(page).getByTestId("store-error").textContent()).resolves.toContain(
      "newer version",
    )
    await models(page).getByRole("button", { name: "Update" }).click()
    await expect
      .poll(() => models(page).getByTestId("sync-outcome").textContent())
      .toMatch(/^Sync is off: .+ reload the page\.$/)
    const caption = await triageOnce(page, 1)
    await expect(triage(page).getByTestId("triage-label").textContent()).resolves.toMatch(
      /^(spam|ham)$/,
    )
    await expect(caption.textContent()).resolves.toContain("message-triage bundled")
    await session.screenshot("models-store-unavailable")
  })

  it("logged no console errors", () => {
    expect(session.errors).toEqual([])
  })
})
