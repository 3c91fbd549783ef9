/**
 * Numbers as the distillation report page writes them (`@edgeline/distill/format`),
 * so the panel and the page agree.
 */
export { count, decimal, duration, kib, ms, percent } from "@edgeline/distill/format"

/** A flywheel share, to one decimal as the CLI's table has it. */
export const percent1 = (share: number): string => `${(share * 100).toFixed(1)}%`
