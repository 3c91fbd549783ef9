import { Effect, Layer, Stream } from "effect"
import { describe, expect, it } from "vitest"
import * as Infer from "../src/Infer.js"
import * as Pipeline from "../src/Pipeline.js"
import { createRunner } from "../src/Runner.js"
import * as Stage from "../src/Stage.js"
import * as Tensor from "../src/Tensor.js"
import { accumulateModel, memoryRuntime } from "./support/memoryRuntime.js"

/**
 * Text chunks in, whole words out: a word split across chunks is held in the
 * state until its end arrives; the last partial word comes out on flush.
 */
const words = Stage.preprocess({
  name: "words",
  initial: () => ({ partial: "" }),
  step: (state: { partial: string }, chunk: string) =>
    Effect.sync(() => {
      const parts = (state.partial + chunk).split(" ")
      state.partial = parts.pop() ?? ""
      return parts.filter((w) => w.length > 0)
    }),
  flush: (state) => Effect.sync(() => (state.partial.length > 0 ? [state.partial] : [])),
  concat: (a: Array<string>, b: Array<string>) => [...a, ...b],
})

/** A stateless stage after it: flushed words must pass through it too. */
const upper = Stage.preprocess({
  name: "upper",
  run: (ws: Array<string>) => Effect.succeed(ws.map((w) => w.toUpperCase())),
})

/** A stateful stage without flush: numbers the words it has seen across the stream. */
const numbered = Stage.preprocess({
  name: "numbered",
  initial: () => ({ seen: 0 }),
  step: (state: { seen: number }, ws: Array<string>) =>
    Effect.sync(() => ws.map((w) => `${++state.seen}:${w}`)),
})

const pipeline = Pipeline.make("words", words, upper)
const chunks = ["hel", "lo wor", "ld, edge", " line"]

describe("stateful stages over Pipeline.stream", () => {
  it("carries state across elements, and the flushed output passes through later stages", async () => {
    const out = await Effect.runPromise(
      Stream.runCollect(Pipeline.stream(pipeline)(Stream.fromIterable(chunks))),
    )
    expect(out).toEqual([[], ["HELLO"], ["WORLD,"], ["EDGE"], ["LINE"]])
  })

  it("gives each run of the stream fresh state", async () => {
    const stream = Pipeline.stream(pipeline)(Stream.make("ab", "c d"))
    const first = await Effect.runPromise(Stream.runCollect(stream))
    const second = await Effect.runPromise(Stream.runCollect(stream))
    expect(first).toEqual([[], ["ABC"], ["D"]])
    expect(second).toEqual(first)
  })

  it("runs a flushed value through a later stateful stage with that stage's state", async () => {
    const counted = Pipeline.make("numbered", words, numbered)
    const out = await Effect.runPromise(
      Stream.runCollect(Pipeline.stream(counted)(Stream.make("a b", "c d"))),
    )
    expect(out).toEqual([["1:a"], ["2:bc"], ["3:d"]])
  })

  it("ends an empty stream with just the (empty) flush", async () => {
    const out = await Effect.runPromise(Stream.runCollect(Pipeline.stream(pipeline)(Stream.empty)))
    expect(out).toEqual([[]])
  })
})

describe("stateful stages over Pipeline.open", () => {
  it("carries state from push to push; end flushes through the later stages, once", async () => {
    const session = Pipeline.open(pipeline)
    const pushed: Array<Array<string>> = []
    for (const chunk of chunks) pushed.push(await Effect.runPromise(session.push(chunk)))
    expect(pushed).toEqual([[], ["HELLO"], ["WORLD,"], ["EDGE"]])
    expect(await Effect.runPromise(session.end())).toEqual([["LINE"]])
    expect(await Effect.runPromise(session.end())).toEqual([])
  })

  it("two sessions opened separately do not share state", async () => {
    const a = Pipeline.open(pipeline)
    const b = Pipeline.open(pipeline)
    expect(await Effect.runPromise(a.push("alp"))).toEqual([])
    expect(await Effect.runPromise(b.push("bet"))).toEqual([])
    expect(await Effect.runPromise(a.push("ha "))).toEqual(["ALPHA"])
    expect(await Effect.runPromise(b.push("a "))).toEqual(["BETA"])
    expect(await Effect.runPromise(a.push("x"))).toEqual([])
    expect(await Effect.runPromise(a.end())).toEqual([["X"]])
    expect(await Effect.runPromise(b.end())).toEqual([[]])
  })
})

describe("stateful stages over Pipeline.run", () => {
  it("joins the step and flush outputs with concat", async () => {
    expect(await Effect.runPromise(Pipeline.run(pipeline, "on the edge"))).toEqual([
      "ON",
      "THE",
      "EDGE",
    ])
  })

  it("starts every run with fresh state", async () => {
    expect(await Effect.runPromise(Pipeline.run(pipeline, "a b"))).toEqual(["A", "B"])
    expect(await Effect.runPromise(Pipeline.run(pipeline, "c"))).toEqual(["C"])
  })

  it("refuses to build a stateful stage with flush but no concat", () => {
    expect(() =>
      Stage.preprocess({
        name: "no-concat",
        initial: () => 0,
        step: (_: number, x: number) => Effect.succeed(x),
        flush: () => Effect.succeed(0),
      }),
    ).toThrow(/no-concat.*concat/)
  })
})

/**
 * A recurrent infer stage: the `accumulate` model's hidden state `h` is fed
 * back in on each element, so each output is the running total so far.
 */
const runningTotal = Infer.inferStateful({
  name: "running-total",
  model: accumulateModel,
  initial: () => ({ h: Tensor.zeros("float32", [1, 1]) as Tensor.Tensor }),
  step: (session, state, xs: ReadonlyArray<number>) =>
    Effect.map(
      session.run({ x: Tensor.float32(Float32Array.from(xs), [1, xs.length]), h: state.h }),
      (outputs) => {
        state.h = outputs.h!
        return outputs.y!.data[0] as number
      },
    ),
})

describe("Infer.inferStateful", () => {
  it("carries the recurrent value across the elements of a stream", async () => {
    const runtime = memoryRuntime()
    const recurrent = Pipeline.make("recurrent", runningTotal)
    const out = await Effect.runPromise(
      Stream.runCollect(Pipeline.stream(recurrent)(Stream.make([1, 2], [3], [4, 5]))).pipe(
        Effect.provide(runtime.layer),
      ),
    )
    expect(out).toEqual([3, 6, 15])
    expect(runtime.session("accumulate").calls()).toBe(3)
  })

  it("two streams opened separately each start from zero", async () => {
    const runtime = memoryRuntime()
    const recurrent = Pipeline.make("recurrent", runningTotal)
    const a = Pipeline.open(recurrent)
    const b = Pipeline.open(recurrent)
    const push = (s: typeof a, xs: Array<number>) =>
      Effect.runPromise(Effect.provide(s.push(xs), runtime.layer))
    expect(await push(a, [10])).toBe(10)
    expect(await push(b, [1])).toBe(1)
    expect(await push(a, [5])).toBe(15)
    expect(await push(b, [1])).toBe(2)
    // Pipeline.run is a one-element stream: fresh state again.
    expect(
      await Effect.runPromise(Effect.provide(Pipeline.run(recurrent, [7]), runtime.layer)),
    ).toBe(7)
  })
})

describe("runner streams", () => {
  const chunksArriving = async function* () {
    for (const chunk of chunks) {
      await new Promise((resolve) => setTimeout(resolve, 1))
      yield chunk
    }
  }

  it("runner.stream takes an AsyncIterable and yields outputs, then the flushed ones", async () => {
    const runner = await createRunner(pipeline, { layer: Layer.empty })
    try {
      const out: Array<Array<string>> = []
      for await (const words of runner.stream(chunksArriving())) out.push(words)
      expect(out).toEqual([[], ["HELLO"], ["WORLD,"], ["EDGE"], ["LINE"]])
    } finally {
      await runner.close()
    }
  })

  it("runner.stream also takes a plain Iterable, and two streams do not share state", async () => {
    const runner = await createRunner(pipeline, { layer: Layer.empty })
    try {
      const a = runner.stream(["one tw", "o thr"])
      const b = runner.stream(["x", "y z"])
      // Interleave the two streams element by element.
      const [a1, b1, a2, b2] = [await a.next(), await b.next(), await a.next(), await b.next()]
      expect([a1.value, b1.value, a2.value, b2.value]).toEqual([["ONE"], [], ["TWO"], ["XY"]])
      const restA: Array<Array<string>> = []
      for await (const w of a) restA.push(w)
      const restB: Array<Array<string>> = []
      for await (const w of b) restB.push(w)
      expect(restA).toEqual([["THR"]])
      expect(restB).toEqual([["Z"]])
    } finally {
      await runner.close()
    }
  })

  it("runner.open pushes and ends a session, and the recurrent infer stage keeps its state", async () => {
    const runtime = memoryRuntime()
    const runner = await createRunner(Pipeline.make("recurrent", runningTotal), {
      layer: runtime.layer,
    })
    try {
      const session = await runner.open()
      expect(await session.push([1, 1])).toBe(2)
      expect(await session.push([2])).toBe(4)
      expect(await session.end()).toEqual([])
      // A new session starts from zero.
      const fresh = await runner.open()
      expect(await fresh.push([1])).toBe(1)
    } finally {
      await runner.close()
    }
  })
})
