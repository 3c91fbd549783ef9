/**
 * A wide table's box: on a phone it scrolls sideways instead of the page.
 * A keyboard user must be able to scroll it too (WCAG 2.1.1; axe-core's
 * scrollable-region-focusable), so it takes focus and has a name.
 */
import type { ComponentChildren } from "preact"

export const ScrollX = ({
  label,
  html,
  children,
}: {
  readonly label: string
  /** Markup from our own server to put inside, instead of children. */
  readonly html?: string | undefined
  readonly children?: ComponentChildren
}) => (
  // biome-ignore lint/a11y/useSemanticElements: a section would add an outline entry for every table.
  <div
    class="scroll-x"
    role="region"
    aria-label={label}
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region is reached by keyboard to scroll it (see above).
    tabIndex={0}
    {...(html === undefined ? {} : { dangerouslySetInnerHTML: { __html: html } })}
  >
    {html === undefined ? children : undefined}
  </div>
)
