/**
 * How long to wait after `failures` failures in a row: doubling from
 * `baseMs`, capped at `maxMs`, with "equal jitter" (half fixed, half
 * random) so a fleet that failed together does not retry together.
 */
export const jittered = (failures: number, baseMs: number, maxMs: number): number => {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(failures, 20))
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2))
}
