/**
 * The page as a whole: it loads with every demo's section, the offline
 * switch really cuts the registry and the cloud (as seen from the page),
 * keyboard users reach everything, it reads at 1280×800 and at phone width,
 * and axe-core finds no serious violations.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { seriousViolations } from "../support/axe.js"
import { expectReadable } from "../support/layout.js"
import * as Session from "../support/session.js"

describe("the playground page", () => {
  let session: Session.Session
  beforeAll(async () => {
    session = await Session.open({ expectedErrors: [Session.CUT_BY_OFFLINE_SWITCH] })
  })
  afterAll(() => session?.close())

  it("shows every demo as a labelled section", async () => {
    const page = await Session.load(session)
    for (const title of ["Voice assistant", "Message triage", "Models", "Distill", "Your model"]) {
      await expect(page.getByRole("region", { name: title }).count()).resolves.toBe(1)
    }
    await session.screenshot("shell-1280")
  })

  it("cuts the page off from the registry and the cloud with the offline switch", async () => {
    const page = await Session.load(session)
    const reach = () =>
      page.evaluate(async () => {
        const probe = (url: string) =>
          fetch(url).then(
            (r) => r.status,
            () => "unreachable",
          )
        return {
          registry: await probe("/registry/channels/stable.json"),
          cloud: await probe("/cloud/v1/models"),
        }
      })
    await expect(reach()).resolves.toEqual({ registry: 200, cloud: 200 })
    await Session.setOnline(page, false)
    await expect(reach()).resolves.toEqual({ registry: "unreachable", cloud: "unreachable" })
    expect(session.playground.network.online()).toBe(false)
    await Session.setOnline(page, true)
    await expect(reach()).resolves.toEqual({ registry: 200, cloud: 200 })
  })

  it("is usable by keyboard: Tab reaches the skip link, the demo links and the switch", async () => {
    const page = await Session.load(session)
    const focused: Array<string> = []
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press("Tab")
      focused.push(await page.evaluate(() => document.activeElement?.textContent?.trim() ?? ""))
    }
    expect(focused).toContain("Skip to content")
    expect(focused).toContain("Message triage")
    expect(focused).toContain("Online")
  })

  it("runs a demo from the keyboard alone: Tab to the voice assistant's sample, Enter, and the result is announced", async () => {
    const page = await Session.load(session)
    let reached = false
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press("Tab")
      reached = await page.evaluate(
        () => document.activeElement?.textContent?.trim() === "Run the sample",
      )
    }
    expect(reached, "Tab never reached the sample's button").toBe(true)
    await page.keyboard.press("Enter")
    const panel = page.getByRole("region", { name: "Voice assistant" })
    // The result lands in a live region, so a screen reader hears it.
    const status = panel.locator('[aria-live="polite"]').filter({ hasText: /wake words? heard/ })
    await status.first().waitFor({ timeout: 120_000 })
  })

  it("has no serious accessibility violations (axe-core)", async () => {
    await Session.load(session)
    expect(await seriousViolations(session.page)).toEqual([])
  })

  it("reads at phone width without sideways scrolling", async () => {
    await session.page.setViewportSize({ width: 390, height: 844 })
    const page = await Session.load(session)
    await expectReadable(page)
    await session.screenshot("shell-phone")
    await session.page.setViewportSize({ width: 1280, height: 800 })
  })

  it("logged no console errors", () => {
    expect(session.errors).toEqual([])
  })
})
