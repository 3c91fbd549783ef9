/**
 * @edgeline/recipes — ready pipelines made of core stages. They name their
 * models; a runtime Layer (Node or web) runs them unchanged.
 */
export * as Audio from "./audio/Audio.js"
export * as Frames from "./audio/Frames.js"
export * as Resample from "./audio/Resample.js"
export { ResampleError } from "./audio/ResampleError.js"
export * as WavDecode from "./audio/WavDecode.js"
export { WavDecodeError, type WavProblem } from "./audio/WavDecodeError.js"
export * as WavEncode from "./audio/WavEncode.js"
export * as MessageClean from "./message-triage/MessageClean.js"
export * as PiiMask from "./message-triage/PiiMask.js"
export * as SentencePick from "./message-triage/SentencePick.js"
export * as TextCondense from "./message-triage/TextCondense.js"
export * as TokenCount from "./message-triage/TokenCount.js"
export * as FrameScore from "./voice-gate/FrameScore.js"
export * as Segmenter from "./voice-gate/Segmenter.js"
export * as SileroVad from "./voice-gate/SileroVad.js"
export * as VoiceGate from "./voice-gate/VoiceGate.js"
