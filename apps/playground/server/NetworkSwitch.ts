/**
 * The page reaches the registry and the cloud only through these same-origin
 * proxies, so the offline switch really cuts it off: while offline a request
 * gets no answer at all (its socket is destroyed), as on a dead link, not a
 * polite error status.
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http"

export interface NetworkSwitch {
  readonly online: () => boolean
  readonly set: (online: boolean) => void
  /** Forwards `request` to `target` (an origin), or cuts it when offline. */
  readonly forward: (
    request: IncomingMessage,
    response: ServerResponse,
    target: string,
    path: string,
  ) => void
}

export const make = (): NetworkSwitch => {
  let online = true
  const open = new Set<ServerResponse>()
  return {
    online: () => online,
    set: (value) => {
      online = value
      // Downloads and calls under way die with the link too.
      if (!value) for (const response of open) response.socket?.destroy()
    },
    forward: (request, response, target, path) => {
      if (!online) {
        request.socket.destroy()
        return
      }
      open.add(response)
      response.on("close", () => open.delete(response))
      const url = new URL(path, target)
      const upstream = httpRequest(
        url,
        { method: request.method, headers: { ...request.headers, host: url.host } },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers)
          answer.pipe(response)
        },
      )
      upstream.on("error", () => response.socket?.destroy())
      // The page gave up, or the switch cut it: the upstream request goes too.
      response.on("close", () => upstream.destroy())
      request.pipe(upstream)
    },
  }
}
