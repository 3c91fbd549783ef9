// comlink ships this adapter without an .mjs-matching declaration file.
declare module "comlink/dist/esm/node-adapter.mjs" {
  import type { Endpoint } from "comlink"
  export default function nodeEndpoint(port: unknown): Endpoint
}
