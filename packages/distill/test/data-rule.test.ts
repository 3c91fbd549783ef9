/**
 * The data rule: training and tuning read only the `-1` subsets of
 * SpamAssassin. Every file the loader opens is recorded (node:fs/promises
 * is wrapped, passing each call through), so reading a `-2` file fails here.
 */
import { beforeEach, describe, expect, it, vi } from "vitest"

const opened: Array<string> = []

vi.mock("node:fs/promises", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:fs/promises")>()
  const record =
    <A extends Array<unknown>, R>(f: (...args: A) => R) =>
    (...args: A): R => {
      opened.push(String(args[0]))
      return f(...args)
    }
  return {
    ...real,
    default: real,
    readFile: record(real.readFile),
    readdir: record(real.readdir),
    open: record(real.open),
  }
})

const { SpamAssassin } = await import("../src/index.js")

beforeEach(() => {
  opened.length = 0
})

describe("SpamAssassin (the data rule)", () => {
  it("opens only the -1 subsets, and the two splits partition them", async () => {
    const train = await SpamAssassin.load("train")
    const validation = await SpamAssassin.load("validation")
    expect(opened.length).toBeGreaterThan(6000)
    expect(opened.filter((path) => /(easy-ham-2|spam-2)/.test(path))).toEqual([])
    expect(opened.filter((path) => /data\.js$|file_list\.json$/.test(path))).toEqual([])
    // easy-ham-1 (2500), hard-ham-1 (250), spam-1 (500): every fifth message of each is validation.
    expect(train.length + validation.length).toBe(3250)
    expect(validation.length).toBe(650)
    const ids = new Set(train.map((m) => m.id))
    expect(validation.some((m) => ids.has(m.id))).toBe(false)
    expect(new Set([...train, ...validation].map((m) => m.group))).toEqual(
      new Set(SpamAssassin.trainingGroups),
    )
    expect(validation.filter((m) => m.label === "spam")).toHaveLength(100)
  })
})
