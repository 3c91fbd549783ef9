/**
 * Whether a second thread pays for batched scoring here: onnxruntime's
 * intra-op threads spin while they wait, so a second one is ≈ 1.05–1.1× faster on
 * an idle core and ≈ 1.5× slower on a busy one (measured on 2 cores). The
 * last minute's load average tells which. Windows reports no load average
 * (always zeros), so there it stays at one.
 */
import { availableParallelism, loadavg } from "node:os"

/** 2 when the load average leaves a core free, else 1. */
export const batchedThreads = (): number => {
  const cores = availableParallelism()
  if (process.platform === "win32" || cores < 2) return 1
  return loadavg()[0]! <= cores - 1 ? 2 : 1
}
