// Session.runSteps, the frame loop of a recurrent model, against real
// onnxruntime-node and Silero VAD v5: the same numbers as one run per call,
// the carried state handed back, early stops, and typed failures.
import { type InferenceBackend, InferenceError, Model, ModelRef, Tensor } from "@edgeline/core"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { NodeRuntime } from "../src/index.js"

const silero = ModelRef.make("silero_vad_v5", "npm:@ricky0123/vad-web/dist/silero_vad_v5.onnx")
const FRAME = 512
const CONTEXT = 64

/** 40 frames of a tone that starts and stops, so the state matters. */
const audio = Float32Array.from({ length: 40 * FRAME }, (_, i) =>
  i > 8 * FRAME && i < 30 * FRAME ? 0.4 * Math.sin((2 * Math.PI * 220 * i) / 16000) : 0,
)

/** Loads Silero on a fresh Node runtime, uses it, then closes the runtime (releasing the session). */
const withSession = <A>(use: (session: InferenceBackend.Session) => Promise<A>) =>
  Effect.runPromise(
    Effect.provide(
      Effect.scoped(
        Effect.flatMap(Model.session(silero), (session) => Effect.promise(() => use(session))),
      ),
      NodeRuntime.layer(),
    ),
  )

const freshFeeds = (window: Float32Array) => ({
  input: Tensor.float32(window, [1, FRAME + CONTEXT]),
  state: Tensor.zeros("float32", [2, 1, 128]),
  sr: Tensor.int64(BigInt64Array.from([16000n]), []),
})

/** The reference: one runPromise per frame. */
const oneByOne = async (session: InferenceBackend.Session) => {
  const window = new Float32Array(FRAME + CONTEXT)
  let feeds: Tensor.Feeds = freshFeeds(window)
  const probabilities: Array<number> = []
  for (let i = 0; i < 40; i++) {
    window.set(audio.subarray(i * FRAME, (i + 1) * FRAME), CONTEXT)
    const out = await session.runPromise(feeds)
    probabilities.push((out.output!.data as Float32Array)[0]!)
    feeds = { ...feeds, state: out.stateN! }
    window.copyWithin(0, FRAME)
  }
  return { probabilities, state: [...(feeds.state!.data as Float32Array)] }
}

describe("Session.runSteps on Silero VAD v5", () => {
  it("gives exactly the probabilities and final state of one runPromise per frame, in two slices", async () => {
    const { reference, stepped, done } = await withSession(async (session) => {
      const reference = await oneByOne(session)
      const window = new Float32Array(FRAME + CONTEXT)
      const stepped: Array<number> = []
      const slice = (feeds: Tensor.Feeds, first: number, steps: number) =>
        session.runSteps({
          feeds,
          steps,
          carry: { stateN: "state" },
          prepare: (step) => {
            const i = first + step
            window.set(audio.subarray(i * FRAME, (i + 1) * FRAME), CONTEXT)
          },
          read: (_, outputs) => {
            stepped.push((outputs.output!.data as Float32Array)[0]!)
            window.copyWithin(0, FRAME)
            return false
          },
        })
      const first = await slice(freshFeeds(window), 0, 25)
      const done = await slice(first.feeds, 25, 15)
      return { reference, stepped, done: { first: first.steps, second: done.steps, done } }
    })
    expect(new Set(reference.probabilities).size).toBeGreaterThan(5)
    expect(stepped).toEqual(reference.probabilities)
    expect([done.first, done.second]).toEqual([25, 15])
    expect([...(done.done.feeds.state!.data as Float32Array)]).toEqual(reference.state)
    expect(done.done.feeds.state!.dims).toEqual([2, 1, 128])
  })

  it("stops when read returns true, counting the run that asked", async () => {
    const { steps, reads } = await withSession(async (session) => {
      let reads = 0
      const { steps } = await session.runSteps({
        feeds: freshFeeds(new Float32Array(FRAME + CONTEXT)),
        steps: 40,
        carry: { stateN: "state" },
        prepare: () => {},
        read: (step) => {
          reads++
          return step === 6
        },
      })
      return { steps, reads }
    })
    expect(steps).toBe(7)
    expect(reads).toBe(7)
  })

  it("rejects a run ORT refuses with a typed InferenceError naming the inputs", async () => {
    const error = await withSession((session) =>
      session
        .runSteps({
          feeds: {
            input: Tensor.zeros("float32", [1, 576]),
            h: Tensor.zeros("float32", [2, 1, 128]),
          },
          steps: 3,
          prepare: () => {},
          read: () => false,
        })
        .catch((e: unknown) => e),
    )
    expect(error).toBeInstanceOf(InferenceError)
    expect((error as InferenceError).message).toContain("inputs: input, state, sr")
  })

  it("lets a caller's own error through as it is, and the runtime still closes", async () => {
    const bug = new RangeError("a bug in read")
    const error = await withSession((session) =>
      session
        .runSteps({
          feeds: freshFeeds(new Float32Array(FRAME + CONTEXT)),
          steps: 3,
          carry: { stateN: "state" },
          prepare: () => {},
          read: () => {
            throw bug
          },
        })
        .catch((e: unknown) => e),
    )
    expect(error).toBe(bug)
  })
})
