/** axe-core in the page: the accessibility violations of serious or critical impact. */
import { createRequire } from "node:module"
import type { Page } from "playwright-core"

const axePath = createRequire(import.meta.url).resolve("axe-core/axe.min.js")

export interface Violation {
  readonly id: string
  readonly impact: string
  readonly help: string
  readonly targets: ReadonlyArray<string>
}

export const seriousViolations = async (page: Page): Promise<Array<Violation>> => {
  await page.addScriptTag({ path: axePath })
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: (context: unknown) => Promise<any> } }).axe
    const results = await axe.run(document)
    return (results.violations as Array<any>).map((v) => ({
      id: v.id as string,
      impact: v.impact as string,
      help: v.help as string,
      targets: (v.nodes as Array<any>).map((n) => String(n.target)),
    }))
  })
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical")
}
