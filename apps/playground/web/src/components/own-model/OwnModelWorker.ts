/** Starts the own-model worker, told what to serve by its name (see WorkerSetup). */
import type { WorkerSetup } from "./OwnModelSetup.js"

export const startOwnModelWorker = (setup: WorkerSetup) =>
  new Worker(new URL("../../workers/own-model.worker.ts", import.meta.url), {
    type: "module",
    name: JSON.stringify(setup),
  })
