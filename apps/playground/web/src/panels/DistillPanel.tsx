import type { Config } from "../Config.js"

/** Placeholder until the distillation report lands in this panel. */
export const DistillPanel = (_: { readonly config: Config }) => (
  <p>Coming: the distillation report.</p>
)
