/**
 * A Vega-Lite spec as an accessible SVG string, rendered by Vega's headless
 * view (no DOM, no canvas: text widths are estimated). The report's plots
 * are made with it, and it is exported so other reports (the CLI's
 * flywheel, the playground) draw their charts the same way.
 *
 * Why Vega-Lite rather than hand-written SVG: axes, ticks, scales and
 * legends are its job, and well done. It costs about 25 MB installed (79
 * packages, all Vega's own or d3's), about 0.5 s to import and tens of
 * milliseconds per plot; it is imported on the first call, so the rest of
 * the package never loads it.
 *
 * @example
 * ```ts
 * import { Plot } from "@edgeline/distill"
 *
 * const svg = await Plot.svg(
 *   {
 *     data: { values: [{ round: 1, rate: 0.5 }, { round: 2, rate: 0.1 }] },
 *     mark: "line",
 *     encoding: {
 *       x: { field: "round", type: "ordinal" },
 *       y: { field: "rate", type: "quantitative" },
 *     },
 *   },
 *   "Escalation rate by round: 50% then 10%.",
 * )
 * ```
 */
import type { TopLevelSpec } from "vega-lite"
import { escapeHtml } from "./format.js"

/** Fonts the reader's machine has: a page must not fetch any. */
const config = {
  font: "system-ui, -apple-system, 'Segoe UI', sans-serif",
  // The SVG as a whole is one image with a name (role="img"); the marks' own ARIA would only repeat it.
  aria: false,
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: "#e5e7eb" },
  legend: { labelFontSize: 11, titleFontSize: 12, orient: "bottom", labelLimit: 320 },
  view: { stroke: "#d1d5db" },
} as const

type Engines = readonly [typeof import("vega"), typeof import("vega-lite")]
let engines: Promise<Engines> | undefined
const load = (): Promise<Engines> => {
  engines ??= Promise.all([import("vega"), import("vega-lite")])
  return engines
}

let ids = 0

/**
 * Renders `spec` (the report's fonts and axis style are applied; the spec's
 * own `config` wins) to SVG text with `role="img"`, `name` as its
 * accessible name and a `<title>`, and a `viewBox`, so CSS may scale it.
 * Without namespace declarations: it is meant to be inlined in HTML, where
 * it then holds no URL at all.
 */
export const svg = async (spec: TopLevelSpec, name: string): Promise<string> => {
  const [vega, vegaLite] = await load()
  const compiled = vegaLite.compile({
    ...spec,
    config: { ...config, ...spec.config },
  } as TopLevelSpec).spec
  const view = new vega.View(vega.parse(compiled), { renderer: "none", logLevel: vega.Error })
  try {
    // The SVG is one image: Vega's roles for its mark containers
    // ("graphics-symbol", unnamed) would be images without names to a checker.
    const text = (await view.toSVG()).replace(
      / (role="graphics-[a-z]+"|aria-roledescription="[^"]*")/g,
      "",
    )
    const id = `plot-title-${++ids}`
    const label = escapeHtml(name)
    return text.replace(/^<svg\b([^>]*)>/, (_, attributes: string) => {
      const kept = attributes.replace(/\s+xmlns(:\w+)?="[^"]*"/g, "")
      return `<svg${kept} role="img" aria-label="${label}" aria-labelledby="${id}"><title id="${id}">${label}</title>`
    })
  } finally {
    view.finalize()
  }
}
