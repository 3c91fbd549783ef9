/**
 * `runSteps` for an engine without a step loop of its own: one `run` per
 * step (a remote model, a test double).
 */
import type { StepLoop, StepsDone } from "../InferenceBackend.js"
import type { Feeds, Tensor } from "../Tensor.js"

export const stepsByRun =
  (run: (feeds: Feeds) => Promise<Feeds>) =>
  async (loop: StepLoop): Promise<StepsDone> => {
    const feeds: Record<string, Tensor> = { ...loop.feeds }
    const carry = Object.entries(loop.carry ?? {})
    let step = 0
    while (step < loop.steps) {
      loop.prepare(step)
      const outputs = await run(feeds)
      for (const [output, input] of carry) feeds[input] = outputs[output]!
      if (loop.read(step++, outputs)) break
    }
    return { steps: step, feeds }
  }
