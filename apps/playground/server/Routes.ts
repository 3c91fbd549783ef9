/**
 * The playground's own API under `/api/`, beyond config and the network
 * switch: each demo that needs the server adds its routes here, one module
 * each. A handler returns true when it answered.
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import * as DistillReport from "./DistillReport.js"

/** What a handler may need of the running playground. */
export interface Context {
  /** The data directory (`--data`): the registry, keys, and files the user puts there. */
  readonly dataDirectory: string
}

export type Handler = (
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  context: Context,
) => Promise<boolean>

export const handlers: ReadonlyArray<Handler> = [DistillReport.handler]
