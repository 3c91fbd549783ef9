/**
 * Metric series whose state is read on demand from plain numbers kept here,
 * one per registry (per runner) and series: made and registered on first use,
 * so everything counting into the same series (a pipeline built twice under
 * one name, two condense stages of one name) counts into one set of numbers,
 * as updates to one metric would, and reading never replaces a series.
 */
import { Context, Metric } from "effect"

const byRegistry = new WeakMap<object, Map<string, unknown>>()

/** The numbers behind `key` in `registry`, made (and their series registered there) by `make` on first use. */
export const numbersFor = <T>(
  registry: Metric.MetricRegistry,
  key: string,
  make: (context: Context.Context<never>) => T,
): T => {
  let series = byRegistry.get(registry)
  if (series === undefined) {
    series = new Map()
    byRegistry.set(registry, series)
  }
  let found = series.get(key) as T | undefined
  if (found === undefined) {
    found = make(Context.make(Metric.MetricRegistry, registry))
    series.set(key, found)
  }
  return found
}

/**
 * Registers `metric` in the registry of `context` as a series that reads its
 * state from `get`: the numbers are updated in place, not through the metric.
 */
export const readFrom = <S>(
  metric: Metric.Metric<any, S>,
  context: Context.Context<never>,
  get: () => S,
): void => {
  Metric.registerUnsafe(metric, context, { get, update: () => {}, modify: () => {} })
}

/** A counter's state holding `count`. */
export const counterOf = (count: number): Metric.CounterState<number> => ({
  count,
  incremental: false,
})
