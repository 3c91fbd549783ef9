/**
 * Message triage in the page: the recipes' cascade in the device worker on
 * the synced student, with the reference cloud tier behind /cloud/. A sample
 * the student is sure of stays on the device; one it is unsure of is
 * condensed and escalated and the cloud answers; pasted text runs too; the
 * threshold slider moves the validation numbers the right way (by keyboard)
 * and the live runs follow it; offline, triage still labels and the
 * escalation shows as degraded.
 */
import type { Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import samples from "../../web/samples/triage-samples.json" with { type: "json" }
import { seriousViolations } from "../support/axe.js"
import { expectReadable } from "../support/layout.js"
import * as Session from "../support/session.js"

const sampleIndex = (prefix: string) => {
  const index = samples.findIndex((s) => s.title.startsWith(prefix))
  if (index < 0) throw new Error(`no sample titled ${prefix}…`)
  return index
}
const SURE_SPAM = sampleIndex("Spam: ")
const UNSURE_SPAM = sampleIndex("Spam, student unsure")

const panel = (page: Page) => page.getByRole("region", { name: "Message triage" })

const number = async (page: Page, testId: string) =>
  Number((await panel(page).getByTestId(testId).first().textContent())!.replace(/[^\d.]/g, ""))

/** Picks a sample, presses Triage, waits for the run count to reach `runs`. */
const triageSample = async (page: Page, index: number, runs: number) => {
  await panel(page).getByLabel("Sample message").selectOption(String(index))
  await panel(page).getByRole("button", { name: "Triage", exact: true }).click()
  await expect.poll(() => number(page, "total-messages"), { timeout: 60_000 }).toBe(runs)
  return panel(page).getByTestId("triage-result")
}

describe("message triage", () => {
  let session: Session.Session
  let page: Page
  beforeAll(async () => {
    session = await Session.open({ expectedErrors: [Session.CUT_BY_OFFLINE_SWITCH] })
    page = await Session.load(session, "#triage")
  })
  afterAll(() => session?.close())

  it("keeps a message the student is sure of on the device", async () => {
    const result = await triageSample(page, SURE_SPAM, 1)
    await expect(result.getByTestId("triage-label").textContent()).resolves.toBe("spam")
    expect(Number(await result.getByTestId("triage-confidence").textContent())).toBeGreaterThan(
      0.99,
    )
    await expect(result.textContent()).resolves.toContain("Kept on the device")
    // The live region says the outcome in one line, never the prompt.
    const summary = panel(page).getByTestId("triage-summary")
    await expect(summary.getAttribute("aria-live")).resolves.toBe("polite")
    await expect(summary.textContent()).resolves.toBe(
      `spam, student confidence ${await result.getByTestId("triage-confidence").textContent()}: kept on the device.`,
    )
    await expect(
      panel(page).locator("[aria-live] pre, [aria-live] [role=alert]").count(),
    ).resolves.toBe(0)
    expect(Number(await result.getByTestId("tokens-before").textContent())).toBeGreaterThan(500)
    await expect(result.getByTestId("condensed-prompt").count()).resolves.toBe(0)
    // Nothing sent: every token of the message is saved.
    expect(await number(page, "total-tokens-saved")).toBe(
      Number(await result.getByTestId("tokens-before").textContent()),
    )
  })

  it("condenses and escalates a message it is unsure of, and the cloud answers", async () => {
    const saved = await number(page, "total-tokens-saved")
    const result = await triageSample(page, UNSURE_SPAM, 2)
    await expect(result.textContent()).resolves.toContain("Escalated")
    await expect(result.getByTestId("cloud-answer").textContent()).resolves.toMatch(/^(spam|ham)$/)
    await expect(panel(page).getByTestId("triage-summary").textContent()).resolves.toMatch(
      /: escalated, the cloud answered\.$/,
    )
    const before = Number(await result.getByTestId("tokens-before").textContent())
    const after = Number(await result.getByTestId("tokens-after").textContent())
    expect(after).toBeGreaterThan(0)
    expect(after).toBeLessThan(before / 2)
    const prompt = (await result.getByTestId("condensed-prompt").textContent())!
    expect(prompt).toMatch(/^Subject: /)
    // Masked before it left the device: no e-mail address in what was sent.
    expect(prompt).not.toMatch(/[\w.+-]+@[\w-]+\.[\w.]+/)
    expect(await number(page, "total-tokens-saved")).toBe(saved + before - after)
    await expect(panel(page).getByTestId("total-escalation-rate").textContent()).resolves.toBe(
      "50 % (1)",
    )
    expect(await number(page, "total-cost-saved")).toBeGreaterThan(0)
  })

  it("shows the pipeline's stages with live counts, on the synced model 1.0.0", async () => {
    const view = panel(page).getByRole("figure", { name: "Message triage pipeline" })
    const stages = view.locator("[data-stage]")
    await expect(
      stages.evaluateAll((els) => els.map((e) => e.getAttribute("data-stage"))),
    ).resolves.toEqual([
      "triage-features",
      "triage-student",
      "triage-condense",
      "triage-escalate",
      "triage-labelled",
    ])
    await expect
      .poll(() =>
        view.locator('[data-stage="triage-student"] [data-testid="stage-count"]').textContent(),
      )
      .toBe("2")
    await expect
      .poll(() =>
        view.locator('[data-stage="triage-escalate"] [data-testid="stage-count"]').textContent(),
      )
      .toBe("2")
    await expect(view.locator("figcaption").textContent()).resolves.toContain(
      "message-triage 1.0.0",
    )
    await session.screenshot("triage-escalated-1280")
  })

  it("triages pasted text", async () => {
    // A real mail's body, pasted on its own (no headers).
    const mail = samples[SURE_SPAM]!.text
    const body = mail.slice(mail.indexOf("\n\n") + 2)
    await panel(page).getByLabel("Message text").fill(body)
    await panel(page).getByRole("button", { name: "Triage", exact: true }).click()
    await expect.poll(() => number(page, "total-messages"), { timeout: 60_000 }).toBe(3)
    await expect(panel(page).getByTestId("triage-label").textContent()).resolves.toMatch(
      /^(spam|ham)$/,
    )
  })

  it("moves the validation numbers with the threshold slider, by keyboard, and live runs follow it", async () => {
    // Its name stays fixed as it moves; the value is its aria-valuetext.
    const slider = panel(page).getByRole("slider", { name: "Escalation threshold", exact: true })
    const read = async () => ({
      threshold: Number(await slider.getAttribute("aria-valuetext")),
      escalated: await number(page, "validation-escalated"),
      tokens: await number(page, "validation-tokens"),
      accuracy: await number(page, "validation-accuracy"),
    })
    const start = await read()
    expect(start.threshold).toBeCloseTo(0.9818, 3)
    expect(start.escalated).toBeGreaterThan(0)
    expect(start.accuracy).toBeGreaterThan(95)
    await slider.focus()
    for (let i = 0; i < 100; i++) await page.keyboard.press("ArrowRight")
    const higher = await read()
    expect(higher.threshold).toBeGreaterThan(start.threshold)
    expect(higher.escalated).toBeGreaterThan(start.escalated)
    expect(higher.tokens).toBeGreaterThan(start.tokens)
    await page.keyboard.press("Home")
    const lowest = await read()
    expect(lowest.threshold).toBe(0.5)
    expect(lowest.escalated).toBeLessThan(start.escalated)
    expect(lowest.tokens).toBeLessThan(start.tokens)
    await expect(panel(page).getByTestId("threshold-value").textContent()).resolves.toBe("0.5000")
    // Live runs meet the slider's threshold: at 0.5 nothing is escalated.
    const result = await triageSample(page, UNSURE_SPAM, 4)
    await expect(result.textContent()).resolves.toContain("Kept on the device")
    await expect(result.textContent()).resolves.toContain("threshold 0.5000")
    // Back to the calibrated threshold for what follows.
    await slider.fill(String(144))
    expect((await read()).threshold).toBeCloseTo(start.threshold, 3)
  })

  it("still labels offline, and the escalation shows as degraded", async () => {
    await Session.setOnline(page, false)
    const saved = await number(page, "total-tokens-saved")
    const result = await triageSample(page, UNSURE_SPAM, 5)
    await expect(result.getByTestId("triage-label").textContent()).resolves.toBe("spam")
    await expect(result.getByTestId("degraded").textContent()).resolves.toContain("Degraded")
    await expect(result.textContent()).resolves.toContain("not sent")
    // Going offline is no saving: only what condensing cut counts, as when the cloud answers.
    const full = Number(await result.getByTestId("tokens-before").textContent())
    const condensed = Number(await result.getByTestId("tokens-after").textContent())
    expect(condensed).toBeGreaterThan(0)
    expect(await number(page, "total-tokens-saved")).toBeLessThanOrEqual(saved + full - condensed)
    expect(await number(page, "total-tokens-saved")).toBe(saved + full - condensed)
    await session.screenshot("triage-offline-degraded")
    await Session.setOnline(page, true)
  })

  it("reads at phone width without sideways scrolling", async () => {
    await page.setViewportSize({ width: 390, height: 844 })
    await expectReadable(page)
    await panel(page).screenshot({ path: `${Session.ARTIFACTS}triage-phone.png` })
    await page.setViewportSize({ width: 1280, height: 800 })
  })

  it("has no serious accessibility violations (axe-core)", async () => {
    expect(await seriousViolations(page)).toEqual([])
  })

  it("logged no console errors", () => {
    expect(session.errors).toEqual([])
  })
})
