/** Whether the page reads at its width: how far it scrolls sideways, and what sticks out. */
import type { Page } from "playwright-core"
import { expect } from "vitest"
import { seriousViolations } from "./axe.js"

export interface Overflow {
  /** Pixels the page scrolls sideways (≤ 0: none). */
  readonly by: number
  /** What sticks out past the viewport, to say what to fix (inside `.scroll-x` is allowed). */
  readonly wide: ReadonlyArray<string>
}

const sidewaysOverflow = (page: Page): Promise<Overflow> =>
  page.evaluate(() => {
    const width = document.documentElement.clientWidth
    return {
      by: document.documentElement.scrollWidth - width,
      wide: [...document.querySelectorAll("body *")]
        .filter((e) => e.closest(".scroll-x") === null)
        .filter((e) => e.getBoundingClientRect().right > width)
        .map((e) => `${e.tagName.toLowerCase()}.${e.className}: ${e.textContent?.slice(0, 60)}`)
        .slice(0, 5),
    }
  })

/**
 * What a page at phone width must be: no sideways scroll, and no serious
 * axe-core violation there either (a table that scrolls now must be
 * reachable by keyboard).
 */
export const expectReadable = async (page: Page): Promise<void> => {
  const overflow = await sidewaysOverflow(page)
  expect(overflow.by, overflow.wide.join("; ")).toBeLessThanOrEqual(0)
  expect(await seriousViolations(page)).toEqual([])
}
