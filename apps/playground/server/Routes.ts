/**
 * The playground's own API under `/api/`, beyond config and the network
 * switch: each demo that needs the server adds its routes here, one module
 * each. A handler returns true when it answered.
 */
import type { IncomingMessage, ServerResponse } from "node:http"

export type Handler = (
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
) => Promise<boolean>

export const handlers: ReadonlyArray<Handler> = []
