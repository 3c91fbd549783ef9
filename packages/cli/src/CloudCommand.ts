/**
 * `edgeline cloud serve`: the reference OpenAI-compatible cloud tier from
 * `@edgeline/cloud-server` on a port, serving the default models, until
 * SIGINT or SIGTERM. Prints the server's URL as one line on stdout.
 */
import { type ChatClassifier, CloudServer, defaultModels } from "@edgeline/cloud-server"

export interface Flags {
  readonly port: number | undefined
  readonly host: string | undefined
  readonly apiKeys: ReadonlyArray<string>
  readonly maxConcurrent: number | undefined
  readonly maxBodyBytes: number | undefined
  readonly requestLog: string | undefined
}

/** The command cannot serve: said in one line, exit code 1. */
export class CloudServeError extends Error {
  readonly _tag = "CloudServeError"
}

const models = async (): Promise<ReadonlyArray<ChatClassifier>> => {
  try {
    return await defaultModels()
  } catch (e) {
    throw new CloudServeError(
      `cannot load the triage teacher: ${e instanceof Error ? e.message : String(e)}`,
    )
  }
}

/** Serves until SIGINT or SIGTERM, then closes (requests in flight get a 503) and returns. */
export const serve = async (
  flags: Flags,
  onListening: (url: string) => Promise<void>,
): Promise<void> => {
  const served = await models()
  try {
    const server = await CloudServer.start({
      models: served,
      port: flags.port,
      host: flags.host,
      apiKeys: flags.apiKeys,
      maxConcurrent: flags.maxConcurrent,
      maxBodyBytes: flags.maxBodyBytes,
      requestLog: flags.requestLog === undefined ? undefined : { file: flags.requestLog },
    })
    try {
      await onListening(server.url)
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off("SIGINT", stop)
          process.off("SIGTERM", stop)
          resolve()
        }
        process.on("SIGINT", stop)
        process.on("SIGTERM", stop)
      })
    } finally {
      await server.close()
    }
  } finally {
    // The server does not own its models: their onnxruntime sessions are freed here.
    for (const model of served) await model.close?.()
  }
}
