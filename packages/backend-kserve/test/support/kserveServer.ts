/**
 * A real KServe v2 REST server for the tests, on 127.0.0.1 (a free port).
 *
 * Triton, OpenVINO Model Server and Seldon MLServer cannot be installed
 * here: only the npm registry and Debian's packages are reachable, and none
 * of the three is packaged in either. So this serves the protocol's REST
 * endpoints over node:http and runs real ONNX models with onnxruntime-node,
 * answering as those servers do (JSON bodies, `{ "error": "…" }` with 400,
 * 404 or 500). Its JSON ↔ tensor code is written apart from the client's
 * codec, so the tests compare two readings of the spec, not one codec with
 * itself.
 */
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from "node:http"
import type { AddressInfo } from "node:net"
import * as ort from "onnxruntime-node"

export interface ServedModel {
  readonly name: string
  readonly version: string
  /** Path of the ONNX file. */
  readonly path: string
  /** `false` keeps the model loaded but answers its ready check with 400. */
  readonly ready?: boolean | undefined
}

export interface Request {
  readonly method: string
  readonly path: string
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

export interface KServeServer {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string
  /** Every request received, in order. */
  readonly requests: Array<Request>
  readonly close: () => Promise<void>
}

/** ORT's tensor types ↔ the protocol's datatypes (FP16 and BYTES are not served here). */
const DATATYPES: Record<string, string> = {
  bool: "BOOL",
  uint8: "UINT8",
  uint16: "UINT16",
  uint32: "UINT32",
  uint64: "UINT64",
  int8: "INT8",
  int16: "INT16",
  int32: "INT32",
  int64: "INT64",
  float32: "FP32",
  float64: "FP64",
}
const NUMBER_ARRAYS: Record<string, { from(values: Array<number>): ArrayLike<number> }> = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
}

interface Loaded {
  readonly model: ServedModel
  readonly session: ort.InferenceSession
}

/** A request the server refuses, with its HTTP status and message. */
class Refused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

const metadataOf = (loaded: Loaded, versions: ReadonlyArray<string>) => {
  const describe = (m: ort.InferenceSession.ValueMetadata) => {
    if (!m.isTensor) throw new Refused(500, `"${m.name}" is not a tensor`)
    return {
      name: m.name,
      datatype: DATATYPES[m.type] ?? m.type.toUpperCase(),
      // Symbolic dims are any size: -1, as Triton writes them.
      shape: m.shape.map((d) => (typeof d === "number" ? d : -1)),
    }
  }
  return {
    name: loaded.model.name,
    versions,
    platform: "onnxruntime_onnx",
    inputs: loaded.session.inputMetadata.map(describe),
    outputs: loaded.session.outputMetadata.map(describe),
  }
}

/** A JSON input tensor as an ORT tensor, checked against the model's metadata. */
const toOrt = (loaded: Loaded, input: any): ort.Tensor => {
  const name = loaded.model.name
  if (
    typeof input?.name !== "string" ||
    !Array.isArray(input.shape) ||
    !Array.isArray(input.data)
  ) {
    throw new Refused(400, `an inference input must have name, shape, datatype and data`)
  }
  const meta = loaded.session.inputMetadata.find((m) => m.name === input.name)
  if (meta === undefined || !meta.isTensor) {
    throw new Refused(400, `unexpected inference input '${input.name}' for model '${name}'`)
  }
  const expected = DATATYPES[meta.type]
  if (input.datatype !== expected) {
    throw new Refused(
      400,
      `inference input '${input.name}' data-type is '${input.datatype}', but model '${name}' expects '${expected}'`,
    )
  }
  const values: Array<unknown> = input.data.flat(Number.POSITIVE_INFINITY)
  const count = input.shape.reduce((n: number, d: number) => n * d, 1)
  if (values.length !== count) {
    throw new Refused(
      400,
      `unexpected number of elements for inference input '${input.name}': shape [${input.shape}] needs ${count}, got ${values.length}`,
    )
  }
  const type = meta.type
  const data =
    type === "int64"
      ? BigInt64Array.from(values as Array<number>, (v) => BigInt(v))
      : type === "uint64"
        ? BigUint64Array.from(values as Array<number>, (v) => BigInt(v))
        : type === "bool"
          ? Uint8Array.from(values as Array<boolean>, (v) => (v ? 1 : 0))
          : NUMBER_ARRAYS[type]!.from(values as Array<number>)
  return new ort.Tensor(type as any, data as any, input.shape)
}

/** An ORT output as a JSON output tensor. */
const toJson = (name: string, tensor: ort.Tensor) => ({
  name,
  datatype: DATATYPES[tensor.type] ?? tensor.type.toUpperCase(),
  shape: tensor.dims,
  data: Array.from(tensor.data as ArrayLike<number | bigint>, (v) =>
    typeof v === "bigint" ? Number(v) : tensor.type === "bool" ? v !== 0 : v,
  ),
})

/** Starts the server with these models loaded; `close` stops it and releases them. */
export const start = async (models: ReadonlyArray<ServedModel>): Promise<KServeServer> => {
  const loaded: Array<Loaded> = []
  for (const model of models) {
    // As the Node runtime runs them: one thread, sequential.
    const session = await ort.InferenceSession.create(model.path, {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: "sequential",
      graphOptimizationLevel: "all",
      logSeverityLevel: 3,
    })
    loaded.push({ model, session })
  }

  /** The model a path names; without a version, its latest. */
  const find = (name: string, version: string | undefined): Loaded => {
    const all = loaded.filter((l) => l.model.name === name)
    if (all.length === 0)
      throw new Refused(404, `Request for unknown model: '${name}' is not found`)
    if (version === undefined) {
      return all.reduce((a, b) => (Number(b.model.version) > Number(a.model.version) ? b : a))
    }
    const found = all.find((l) => l.model.version === version)
    if (found === undefined) {
      throw new Refused(404, `Request for unknown model: '${name}' version ${version} is not found`)
    }
    return found
  }

  const versionsOf = (name: string) =>
    loaded.filter((l) => l.model.name === name).map((l) => l.model.version)

  const infer = async (target: Loaded, body: string) => {
    let request: any
    try {
      request = JSON.parse(body)
    } catch (e) {
      throw new Refused(400, `failed to parse the request JSON buffer: ${(e as Error).message}`)
    }
    if (!Array.isArray(request?.inputs)) throw new Refused(400, `the request has no "inputs" array`)
    const feeds: Record<string, ort.Tensor> = {}
    for (const input of request.inputs) feeds[input.name] = toOrt(target, input)
    const expected = target.session.inputNames
    if (Object.keys(feeds).length !== expected.length) {
      throw new Refused(
        400,
        `expected ${expected.length} inputs but got ${Object.keys(feeds).length} inputs for model '${target.model.name}'`,
      )
    }
    let outputs: ort.InferenceSession.OnnxValueMapType
    try {
      outputs = await target.session.run(feeds)
    } catch (e) {
      throw new Refused(500, `onnxruntime failed: ${(e as Error).message}`)
    }
    return {
      model_name: target.model.name,
      model_version: target.model.version,
      outputs: Object.entries(outputs).map(([name, t]) => toJson(name, t as ort.Tensor)),
    }
  }

  const route = async (method: string, path: string, body: string): Promise<unknown> => {
    if (path === "/v2/health/live" || path === "/v2/health/ready") return { ready: true }
    const match = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?(\/ready|\/infer)?$/.exec(path)
    if (match === null) throw new Refused(404, `no endpoint ${method} ${path}`)
    const name = decodeURIComponent(match[1]!)
    const version = match[2] === undefined ? undefined : decodeURIComponent(match[2])
    const target = find(name, version)
    const action = match[3]
    const allowed = action === "/infer" ? "POST" : "GET"
    if (method !== allowed) throw new Refused(405, `${method} is not allowed on ${path}`)
    if (action === "/infer") return infer(target, body)
    if (action === "/ready") {
      if (target.model.ready === false) {
        throw new Refused(400, `model '${name}' version ${target.model.version} is not ready`)
      }
      return { name, ready: true }
    }
    return metadataOf(target, versionsOf(name))
  }

  const requests: Array<Request> = []
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Array<Buffer> = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks).toString("utf8")
    const method = req.method ?? "GET"
    const path = new URL(req.url ?? "/", "http://localhost").pathname
    requests.push({ method, path, headers: req.headers, body })
    let status = 200
    let answer: unknown
    try {
      answer = await route(method, path, body)
    } catch (e) {
      status = e instanceof Refused ? e.status : 500
      answer = { error: (e as Error).message }
    }
    res.writeHead(status, { "content-type": "application/json" })
    res.end(JSON.stringify(answer))
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      res.writeHead(500, { "content-type": "application/json" })
      res.end(JSON.stringify({ error: String(e) }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await Promise.all(loaded.map((l) => l.session.release()))
    },
  }
}
