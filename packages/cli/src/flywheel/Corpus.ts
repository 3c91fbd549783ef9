/**
 * The messages of a flywheel run, from the SpamAssassin `-1` subsets
 * (`@edgeline/distill`'s loader: the `-2` subsets are never read). The
 * training split is shuffled once, by a seed, then cut into disjoint
 * slices: a small seed slice the cloud teacher labels for student v0, and
 * one slice of "incoming mail" per round, which the device triages without
 * ever seeing its ground truth. The validation split is held out: the
 * trainer chooses each version's threshold on it and the run measures
 * accuracy on it; no validation message is ever trained on.
 */
import { SpamAssassin } from "@edgeline/distill"
import { Effect, Random } from "effect"
import { InputError } from "../UsageError.js"

export interface Sizes {
  /** Messages of student v0's training set. */
  readonly seedSize: number
  /** Messages the device triages per round. */
  readonly perRound: number
  readonly rounds: number
  /** Fixes the shuffle, so a run is repeatable. */
  readonly seed: number
  /** Validation messages used (default: the whole split); fewer is faster and noisier. */
  readonly validationSize?: number | undefined
}

export interface Corpus {
  readonly seed: ReadonlyArray<SpamAssassin.Message>
  /** One slice per round, disjoint from each other and from the seed. */
  readonly stream: ReadonlyArray<ReadonlyArray<SpamAssassin.Message>>
  readonly validation: ReadonlyArray<SpamAssassin.Message>
}

/** Loads the splits and cuts the shuffled training split; refuses sizes the split cannot hold. */
export const load = async (sizes: Sizes): Promise<Corpus> => {
  const [train, validation] = [
    await SpamAssassin.load("train"),
    await SpamAssassin.load("validation"),
  ]
  const wanted = sizes.seedSize + sizes.rounds * sizes.perRound
  if (wanted > train.length) {
    throw new InputError(
      `--seed-size ${sizes.seedSize} + --rounds ${sizes.rounds} × --per-round ${sizes.perRound} needs ${wanted} training messages and the SpamAssassin training split has ${train.length}: lower one of them`,
    )
  }
  // The split is ordered by subset (ham, then spam): shuffled, every slice has a bit of each.
  const shuffled = await Effect.runPromise(Random.shuffle(train).pipe(Random.withSeed(sizes.seed)))
  if (sizes.validationSize !== undefined && sizes.validationSize > validation.length) {
    throw new InputError(
      `--validation-size ${sizes.validationSize} is more than the ${validation.length} messages of the SpamAssassin validation split`,
    )
  }
  const seed = shuffled.slice(0, sizes.seedSize)
  const stream = Array.from({ length: sizes.rounds }, (_, r) =>
    shuffled.slice(sizes.seedSize + r * sizes.perRound, sizes.seedSize + (r + 1) * sizes.perRound),
  )
  // A subset is drawn at random (by the seed), so it holds ham and spam as the split does.
  const held =
    sizes.validationSize === undefined
      ? validation
      : (
          await Effect.runPromise(Random.shuffle(validation).pipe(Random.withSeed(sizes.seed)))
        ).slice(0, sizes.validationSize)
  return { seed, stream, validation: held }
}
