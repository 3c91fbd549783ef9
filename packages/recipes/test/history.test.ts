/**
 * The segmenter's audio history on its own: after any mix of appends (in
 * chunks of any size, from a buffer the caller then overwrites), forgets and
 * owns, a copy of any range still kept is exactly the audio appended there.
 */
import { describe, expect, it } from "vitest"
import { History } from "../src/audio/History.js"
import { mulberry32, randomInt } from "./support/prng.js"

describe("History", () => {
  it("copies back exactly what was appended, whatever the chunking, forgetting and owning", () => {
    const random = mulberry32(13)
    for (let trial = 0; trial < 40; trial++) {
      const history = new History()
      // Sample i of the stream holds i: a copy shows at once where it came from.
      const reused = new Float32Array(4096)
      let kept = 0
      for (let step = 0; step < 200; step++) {
        const length = randomInt(random, 0, trial % 2 === 0 ? 600 : 3000)
        const start = history.total
        const chunk = reused.subarray(0, length)
        for (let i = 0; i < length; i++) chunk[i] = start + i
        history.append(chunk)
        if (random() < 0.7) kept = randomInt(random, kept, history.total)
        history.forget(kept)
        history.own()
        // The caller reuses its buffer: what the history keeps must be its own copy.
        reused.fill(-1)
        const from = randomInt(random, kept, history.total)
        const to = randomInt(random, from, history.total)
        const copy = history.copy(from, to)
        expect(copy.length).toBe(to - from)
        for (let i = 0; i < copy.length; i++) {
          if (copy[i] !== from + i) expect(copy[i], `sample ${from + i}`).toBe(from + i)
        }
      }
    }
  })

  it("copies borrowed chunks not yet owned, and what was owned before them", () => {
    const history = new History()
    history.append(Float32Array.of(0, 1, 2, 3))
    history.own()
    history.append(Float32Array.of(4, 5, 6))
    history.forget(2)
    expect([...history.copy(2, 7)]).toEqual([2, 3, 4, 5, 6])
    history.forget(5)
    history.own()
    expect([...history.copy(5, 7)]).toEqual([5, 6])
    expect(history.total).toBe(7)
  })
})
