/**
 * After `close()`, every method of a runner rejects with a tagged Error
 * (CancelledError), never a bare string: for the in-process runner and for
 * a worker's client alike.
 */
import { MessageChannel } from "node:worker_threads"
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs"
import { Effect, Layer } from "effect"
import { describe, expect, it } from "vitest"
import { CancelledError } from "../src/Errors.js"
import * as Pipeline from "../src/Pipeline.js"
import { createRunner, type Runner } from "../src/Runner.js"
import * as Stage from "../src/Stage.js"
import { connect, serve } from "../src/Transport.js"
import { rejection } from "./support/rejection.js"

const echo = Pipeline.make(
  "closed-echo",
  Stage.preprocess({ name: "closed-echo", run: (n: number) => Effect.succeed(n) }),
)

/** Closes `runner` (with a stream opened before) and expects each method to reject with CancelledError. */
const expectClosedEverywhere = async (runner: Runner<number, number>) => {
  const session = await runner.open()
  expect(await session.push(1)).toBe(1)
  await runner.close()
  const calls: Record<string, () => Promise<unknown>> = {
    load: () => runner.load(),
    run: () => runner.run(2),
    open: () => runner.open(),
    stream: () => runner.stream([3]).next(),
    timings: () => runner.timings(),
    "push (stream opened before close)": () => session.push(4),
    "end (stream opened before close)": () => session.end(),
  }
  for (const [name, call] of Object.entries(calls)) {
    const error = await rejection(call())
    expect(error, name).toBeInstanceOf(CancelledError)
    expect((error as CancelledError)._tag, name).toBe("CancelledError")
    expect((error as CancelledError).message, name).toMatch(/closed/)
  }
  await expect(runner.close()).resolves.toBeUndefined()
}

describe("a closed runner", () => {
  it("createRunner's: every method rejects with CancelledError", async () => {
    await expectClosedEverywhere(await createRunner(echo, { layer: Layer.empty }))
  })

  it("a worker client's: every method rejects with CancelledError", async () => {
    const { port1, port2 } = new MessageChannel()
    serve(echo, Layer.empty, nodeEndpoint(port1))
    try {
      await expectClosedEverywhere(connect<typeof echo>(nodeEndpoint(port2)))
    } finally {
      port1.close()
      port2.close()
    }
  })
})
