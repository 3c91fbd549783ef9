/**
 * The three openWakeWord models each take one input and give one float32
 * output: run one, and take that output or say, as a `WakeWordError`, what
 * came back instead of what an openWakeWord model gives.
 */
import type { InferenceBackend, Tensor } from "@edgeline/core"
import { WakeWordError } from "./WakeWordError.js"

export interface Expected {
  /** The model's role, for the message: "the melspectrogram model". */
  readonly role: string
  /** The feed's name when the session does not say. */
  readonly inputName: string
  /** Whether the output's data fits. */
  readonly fits: (output: Tensor.Tensor, data: Float32Array) => boolean
  /** What an openWakeWord model gives here, for the message. */
  readonly gives: string
}

/** The model's first output for `input`, checked (the data may be a view the engine reuses). */
export const run = async (
  session: InferenceBackend.Session,
  input: Tensor.Tensor,
  expected: Expected,
): Promise<Float32Array> => {
  const outputs = await session.runPromise({
    [session.inputNames[0] ?? expected.inputName]: input,
  })
  const output = outputs[session.outputNames[0] ?? ""] ?? Object.values(outputs)[0]
  const data = output?.data
  if (output === undefined || !(data instanceof Float32Array) || !expected.fits(output, data)) {
    throw new WakeWordError({
      problem: "invalid-model",
      message: `wake word: ${expected.role} "${session.model}" gave ${
        output === undefined ? "no output" : `${output.dtype} [${output.dims.join(", ")}]`
      }; ${expected.gives}`,
    })
  }
  return data
}
