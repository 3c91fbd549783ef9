/**
 * @edgeline/sync/node: the registry on a filesystem (publish, verify) and
 * key files, for publishers and development; and for devices running Node,
 * the store on a filesystem (`FileStore`).
 */
export * as DevServer from "./DevServer.js"
export * as FileStore from "./FileStore.js"
export * as KeyFiles from "./KeyFiles.js"
export * as OutboxFile from "./OutboxFile.js"
export * as Publish from "./Publish.js"
export * as VerifyRegistry from "./VerifyRegistry.js"
