import { InputValidationError } from "@edgeline/core"
import { afterAll, describe, expect, it } from "vitest"
import { streamRunner } from "./support/gate.js"

describe("the live gate's entry", async () => {
  const runner = await streamRunner()
  afterAll(() => runner.close())

  const bad: Array<[string, unknown, RegExp]> = [
    ["samples in a plain array", { samples: [0.1, 0.2], sampleRate: 16000 }, /Float32Array/],
    [
      "a negative sample rate",
      { samples: new Float32Array(8), sampleRate: -16000 },
      /greater than 0/,
    ],
    ["a fractional sample rate", { samples: new Float32Array(8), sampleRate: 44100.5 }, /integer/],
    ["no sample rate", { samples: new Float32Array(8) }, /sampleRate/],
  ]
  for (const [name, chunk, message] of bad) {
    it(`rejects ${name} with InputValidationError before any stage runs`, async () => {
      const error = await runner.run(chunk as never).catch((e) => e)
      expect(error).toBeInstanceOf(InputValidationError)
      expect(error.stage).toBe("resample-16k")
      expect(error.message).toMatch(message)
    })
  }
})
