/** Reports whether runtime-web takes this worker for one of onnxruntime-web's threads (by its name). */
import { isOnnxRuntimeThread } from "../src/index.js"

postMessage(isOnnxRuntimeThread())
