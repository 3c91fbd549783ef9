/** Numbers as the distillation report page writes them (packages/distill/src/report/format.ts), so the panel and the page agree. */

export const percent = (share: number): string => `${(share * 100).toFixed(2)}%`

/** A flywheel share, to one decimal as the CLI's table has it. */
export const percent1 = (share: number): string => `${(share * 100).toFixed(1)}%`

export const decimal = (x: number): string => x.toFixed(4)

export const count = (n: number): string => n.toLocaleString("en-US")

export const ms = (x: number): string =>
  x >= 100 ? `${x.toFixed(0)} ms` : x >= 1 ? `${x.toFixed(2)} ms` : `${x.toPrecision(3)} ms`

export const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`

export const duration = (x: number): string => {
  const seconds = x / 1000
  if (seconds < 60) return `${seconds.toFixed(1)} s`
  const whole = Math.round(seconds)
  return `${Math.floor(whole / 60)} min ${whole % 60} s`
}
