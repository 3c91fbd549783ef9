/**
 * The espeak-ng speech fixtures beside the tests: `<name>.wav` with its truth
 * in `<name>.json` (see `../fixtures/README.md`).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

export const FIXTURES_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures")

/** A time interval in seconds. */
export interface Interval {
  readonly start: number
  readonly end: number
}

export interface Truth {
  readonly file: string
  readonly sampleRate: number
  readonly channels: number
  readonly bitDepth: string
  readonly durationSec: number
  readonly snrDb: number
  readonly speech: ReadonlyArray<Interval & { readonly text: string }>
}

export interface Fixture {
  readonly name: string
  readonly truth: Truth
  /** The WAV file's bytes (a plain Uint8Array, not a Buffer). */
  readonly bytes: Uint8Array
}

/** Names of every fixture: each `*.json` in the fixtures directory with its `.wav` beside it. */
export const fixtureNames = (): Array<string> =>
  readdirSync(FIXTURES_DIR)
    .filter((file) => file.endsWith(".json"))
    .map((file) => file.slice(0, -".json".length))
    .sort()

export const loadFixture = (name: string): Fixture => {
  const truth = JSON.parse(readFileSync(join(FIXTURES_DIR, `${name}.json`), "utf8")) as Truth
  const wavPath = join(FIXTURES_DIR, truth.file)
  if (!existsSync(wavPath)) throw new Error(`fixture ${name}: ${truth.file} is missing`)
  return { name, truth, bytes: new Uint8Array(readFileSync(wavPath)) }
}

export const loadFixtures = (): Array<Fixture> => fixtureNames().map(loadFixture)
