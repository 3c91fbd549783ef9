/** Runners for the voice gate on the real onnxruntime-node backend and the real Silero v5 model. */
import { createRunner, type Runner } from "@edgeline/core"
import type { Audio } from "@edgeline/recipes"
import { VoiceGate } from "@edgeline/recipes"
import { NodeRuntime } from "@edgeline/runtime-node"

export type FileRunner = Runner.Runner<Uint8Array, VoiceGate.Gated>
export type StreamRunner = Runner.Runner<Audio.AudioChunk, VoiceGate.Gated>

export const fileRunner = (): Promise<FileRunner> =>
  createRunner(VoiceGate.file, { layer: NodeRuntime.layer() })

export const streamRunner = (): Promise<StreamRunner> =>
  createRunner(VoiceGate.stream, { layer: NodeRuntime.layer() })

export interface Streamed {
  /** One output per pushed chunk, in order. */
  readonly pushed: ReadonlyArray<VoiceGate.Gated>
  /** What the stages still held at the end. */
  readonly ended: ReadonlyArray<VoiceGate.Gated>
  /** Everything, pushed then ended. */
  readonly all: ReadonlyArray<VoiceGate.Gated>
}

/** Pushes the chunks through one opened live session, then ends it. */
export const streamThrough = async (
  runner: StreamRunner,
  chunks: ReadonlyArray<Audio.AudioChunk>,
): Promise<Streamed> => {
  const session = await runner.open()
  const pushed: Array<VoiceGate.Gated> = []
  for (const chunk of chunks) pushed.push(await session.push(chunk))
  const ended = await session.end()
  return { pushed, ended, all: [...pushed, ...ended] }
}
