/**
 * A Web Worker serving a pipeline that an Effect builds: slowly (half a
 * second), or failing (the worker's name says which).
 */
import { Pipeline, Stage } from "@edgeline/core"
import { Data, Effect, Layer } from "effect"
import { serveWorker } from "../src/index.js"

class NoModelError extends Data.TaggedError("NoModelError")<{ readonly message: string }> {}

const upper = Pipeline.make(
  "upper",
  Stage.preprocess({
    name: "upper",
    run: (text: string) => Effect.succeed(text.toUpperCase()),
  }),
)

export type Upper = typeof upper

serveWorker(
  self.name === "failing"
    ? Effect.fail(new NoModelError({ message: "no model for this device" })).pipe(
        Effect.delay("100 millis"),
        Effect.as(upper),
      )
    : Effect.succeed(upper).pipe(Effect.delay("500 millis")),
  Layer.empty,
)
