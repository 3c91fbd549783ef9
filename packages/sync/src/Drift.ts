/**
 * Drift: whether the inputs a deployed model sees still look like those it
 * was validated on, judged by its confidences. The reference is the
 * model's confidence histogram on its validation set (distill writes it
 * into the model card and publishers carry it in the manifest's metadata
 * as `confidenceHistogram: { edges, fractions }`); the device bins its own
 * confidences the same way and reports the population stability index,
 *
 *   PSI = Σ (observed − reference) · ln(observed / reference)
 *
 * over the bins (fractions floored at 1e-4, so an empty bin counts but
 * does not explode). The usual reading: under 0.1 stable, 0.1 to 0.25 a
 * moderate shift, over 0.25 a significant one: time for the next student.
 */
import { type Stage, Telemetry } from "@edgeline/core"
import { Effect } from "effect"

export interface Reference {
  /** Bin edges, ascending: bin i holds [edges[i], edges[i + 1]), the last one including its upper edge. */
  readonly edges: ReadonlyArray<number>
  /** The share of validation confidences in each bin (one fewer than `edges`). */
  readonly fractions: ReadonlyArray<number>
}

export type Level = "stable" | "moderate" | "significant"

export interface Summary {
  readonly psi: number
  readonly level: Level
  readonly items: number
  readonly counts: ReadonlyArray<number>
}

const FLOOR = 1e-4

/** The reference in a manifest entry's metadata (`confidenceHistogram`), if it holds a usable one. */
export const referenceOf = (metadata: Readonly<Record<string, unknown>>): Reference | undefined => {
  const candidate = metadata.confidenceHistogram as Partial<Reference> | undefined
  const edges = candidate?.edges
  const fractions = candidate?.fractions
  const numbers = (xs: unknown): xs is ReadonlyArray<number> =>
    Array.isArray(xs) && xs.every((x) => typeof x === "number" && Number.isFinite(x))
  return numbers(edges) &&
    numbers(fractions) &&
    edges.length >= 2 &&
    fractions.length === edges.length - 1 &&
    edges.every((e, i) => i === 0 || e > edges[i - 1]!)
    ? { edges, fractions }
    : undefined
}

export const psi = (reference: ReadonlyArray<number>, observed: ReadonlyArray<number>): number => {
  let total = 0
  reference.forEach((r, i) => {
    const expected = Math.max(r, FLOOR)
    const actual = Math.max(observed[i] ?? 0, FLOOR)
    total += (actual - expected) * Math.log(actual / expected)
  })
  return total
}

export const level = (value: number): Level =>
  value < 0.1 ? "stable" : value <= 0.25 ? "moderate" : "significant"

export interface Monitor {
  /** Bins one confidence (outside the edges: the nearest bin). */
  readonly add: (confidence: number) => void
  readonly summary: () => Summary
  readonly reset: () => void
}

export const monitor = (reference: Reference): Monitor => {
  const bins = reference.fractions.length
  let counts = new Array<number>(bins).fill(0)
  let items = 0
  const binOf = (c: number) => {
    let i = 0
    while (i < bins - 1 && c >= reference.edges[i + 1]!) i++
    return i
  }
  return {
    add: (confidence) => {
      if (!Number.isFinite(confidence)) return
      counts[binOf(confidence)]!++
      items++
    },
    summary: () => {
      const value =
        items === 0
          ? 0
          : psi(
              reference.fractions,
              counts.map((n) => n / items),
            )
      return { psi: value, level: level(value), items, counts: [...counts] }
    },
    reset: () => {
      counts = new Array<number>(bins).fill(0)
      items = 0
    },
  }
}

/**
 * A tap recording a drift summary as a telemetry sample (`name`, with the
 * model in its attributes) every `every` confidences, then starting afresh.
 */
export const tap = <A>(options: {
  readonly name: string
  readonly reference: Reference
  readonly confidence: (value: A) => number
  readonly every: number
  readonly attributes?: Telemetry.Attributes | undefined
}): Stage.Stage<A, A, never, Telemetry.Telemetry> => {
  const watched = monitor(options.reference)
  return Telemetry.tapSamples<A>({
    name: options.name,
    payload: (value) => {
      watched.add(options.confidence(value))
      if (watched.summary().items < options.every) return undefined
      const summary = watched.summary()
      watched.reset()
      return {
        ...summary,
        ...(options.attributes === undefined ? {} : { model: options.attributes }),
      }
    },
  })
}

/** The summary as a telemetry sample, for apps that report drift on their own schedule. */
export const report = (name: string, summary: Summary, attributes?: Telemetry.Attributes) =>
  Effect.asVoid(Telemetry.sample(name, summary, attributes))
