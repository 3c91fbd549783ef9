/**
 * @edgeline/backend-kserve — run a pipeline's models on a KServe v2 server
 * (Triton, OpenVINO Model Server, Seldon MLServer) instead of in-process.
 */

export { KServeProtocolError, KServeRequestError } from "./Errors.js"
export * as KServeBackend from "./KServeBackend.js"
export * as KServeClient from "./KServeClient.js"
export * as KServeProtocol from "./KServeProtocol.js"
