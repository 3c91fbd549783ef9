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
export * as TriageStudent from "./message-triage/TriageStudent.js"
export * as Melspectrogram from "./voice-assistant/Melspectrogram.js"
export * as SpeechEmbedding from "./voice-assistant/SpeechEmbedding.js"
export * as WakeChunks from "./voice-assistant/WakeChunks.js"
export * as WakeClassifier from "./voice-assistant/WakeClassifier.js"
export * as WakeDetector from "./voice-assistant/WakeDetector.js"
export * as WakeModels from "./voice-assistant/WakeModels.js"
export * as WakeWord from "./voice-assistant/WakeWord.js"
export { WakeWordError, type WakeWordProblem } from "./voice-assistant/WakeWordError.js"
export * as FrameScore from "./voice-gate/FrameScore.js"
export * as Segmenter from "./voice-gate/Segmenter.js"
export * as SileroVad from "./voice-gate/SileroVad.js"
export * as VoiceGate from "./voice-gate/VoiceGate.js"
