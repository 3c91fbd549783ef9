// comlink ships typings for its Node adapter as `node-adapter.d.ts` next to the
// ESM `node-adapter.mjs`, which NodeNext resolution does not pair up.
declare module "comlink/dist/esm/node-adapter.mjs" {
  import type { Endpoint } from "comlink"

  export interface NodeEndpoint {
    postMessage(message: any, transfer?: Array<any>): void
    on(type: string, listener: (value: any) => void): void
    off(type: string, listener: (value: any) => void): void
    start?: () => void
  }

  export default function nodeEndpoint(nep: NodeEndpoint): Endpoint
}
