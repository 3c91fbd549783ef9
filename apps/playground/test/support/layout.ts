/** Whether the page reads at its width: how far it scrolls sideways, and what sticks out. */
import type { Page } from "playwright-core"

export interface Overflow {
  /** Pixels the page scrolls sideways (≤ 0: none). */
  readonly by: number
  /** What sticks out past the viewport, to say what to fix (inside `.scroll-x` is allowed). */
  readonly wide: ReadonlyArray<string>
}

export const sidewaysOverflow = (page: Page): Promise<Overflow> =>
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
