/**
 * `edgeline cloud serve`: the reference OpenAI-compatible cloud tier from
 * `@edgeline/cloud-server` on a port, serving the default models (the
 * triage teacher for chat; PocketSphinx for transcription when it is
 * installed, else a warning on stderr and chat only), until SIGINT or
 * SIGTERM. Prints the server's URL as one line on stdout.
 */
import {
  type ChatClassifier,
  CloudServer,
  defaultModels,
  defaultTranscribers,
  type Transcriber,
} from "@edgeline/cloud-server"

export interface Flags {
  readonly port: number | undefined
  readonly host: string | undefined
  readonly apiKeys: ReadonlyArray<string>
  readonly maxConcurrent: number | undefined
  readonly maxBodyBytes: number | undefined
  readonly maxAudioBytes: number | undefined
  readonly cors: boolean
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

/** PocketSphinx when it runs here; otherwise none, and a warning on stderr that says what to install. */
const transcribers = async (): Promise<ReadonlyArray<Transcriber>> => {
  try {
    return await defaultTranscribers()
  } catch (e) {
    process.stderr.write(
      `edgeline cloud serve: warning: serving chat only, no /v1/audio/transcriptions: ${e instanceof Error ? e.message : String(e)}\n`,
    )
    return []
  }
}

/** Serves until SIGINT or SIGTERM, then closes (requests in flight get a 503) and returns. */
export const serve = async (
  flags: Flags,
  onListening: (url: string) => Promise<void>,
): Promise<void> => {
  const served = await models()
  const heard = await transcribers().catch(async (e: unknown) => {
    for (const model of served) await model.close?.()
    throw e
  })
  try {
    const server = await CloudServer.start({
      models: served,
      transcribers: heard,
      port: flags.port,
      host: flags.host,
      apiKeys: flags.apiKeys,
      maxConcurrent: flags.maxConcurrent,
      maxBodyBytes: flags.maxBodyBytes,
      maxAudioBytes: flags.maxAudioBytes,
      cors: flags.cors,
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
    for (const transcriber of heard) await transcriber.close?.()
  }
}
