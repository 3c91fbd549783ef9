/**
 * `edgeline sync keygen | publish | verify`: a registry of signed manifests
 * and content-defined chunks as static files (`@edgeline/sync`), made and
 * checked from the command line.
 */
import { readFile } from "node:fs/promises"
import type { Signature } from "@edgeline/sync"
import { DevServer, KeyFiles, Publish, VerifyRegistry } from "@edgeline/sync/node"
import { Effect } from "effect"
import { progressBar } from "./ProgressBar.js"
import { InputError } from "./UsageError.js"

export const keygen = (options: {
  readonly directory: string
  readonly kid?: string | undefined
}) => Effect.runPromise(KeyFiles.generate(options.directory, options.kid))

export const formatKeygen = (written: KeyFiles.Written): string =>
  [
    `key "${written.kid}"`,
    `  private: ${written.privateKeyPath} (keep it secret; publish with --key)`,
    `  public:  ${written.publicKeyPath} (give it to devices to trust)`,
  ].join("\n")

export interface PublishFlags {
  readonly model: string
  readonly name: string
  readonly version: string
  readonly channel: string
  readonly key: string
  readonly out: string
  readonly rolloutPercent: number | undefined
  readonly expiresInDays: number | undefined
  readonly metadata: string | undefined
  readonly progress: boolean | undefined
}

/** `--metadata f.json`: a JSON object attached to the model's entry. */
const metadataFrom = async (path: string | undefined) => {
  if (path === undefined) return undefined
  let json: unknown
  try {
    json = JSON.parse(await readFile(path, "utf8"))
  } catch (e) {
    throw new InputError(
      `--metadata ${path}: not readable JSON (${e instanceof Error ? e.message : String(e)})`,
    )
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new InputError(`--metadata ${path}: must hold a JSON object`)
  }
  return json as Record<string, never>
}

export const publish = async (flags: PublishFlags): Promise<Publish.Published> => {
  const key = await Effect.runPromise(KeyFiles.readPrivate(flags.key))
  const metadata = await metadataFrom(flags.metadata)
  let bar: ReturnType<typeof progressBar> | undefined
  try {
    return await Effect.runPromise(
      Publish.publish({
        model: flags.model,
        name: flags.name,
        version: flags.version,
        channel: flags.channel,
        key,
        out: flags.out,
        metadata,
        rolloutPercent: flags.rolloutPercent,
        expiresInDays: flags.expiresInDays,
        onProgress: (done, total) => {
          bar ??= progressBar({ force: flags.progress, total, minTotal: 8e6, title: "publish" })
          bar.update(done)
        },
      }),
    )
  } finally {
    bar?.stop()
  }
}

export const formatPublish = (published: Publish.Published): string => {
  const { model, manifest } = published
  const head = `${model.name}@${model.version} on "${manifest.channel}": ${model.size} bytes, ${model.chunks.length} chunks`
  return published.unchanged
    ? `${head}; already published, nothing changed (manifest version ${manifest.version})`
    : `${head} (${published.written} written, ${published.reused} already there, ${published.bytesWritten} bytes new); manifest version ${manifest.version}, signed by "${manifest.keyId}", expires ${manifest.expires}`
}

export interface VerifyFlags {
  readonly registry: string
  /** Public key files to trust (default: the registry's own keys/). */
  readonly keys: ReadonlyArray<string>
  readonly progress: boolean | undefined
}

export const verify = async (flags: VerifyFlags): Promise<VerifyRegistry.Report> => {
  const trusted: Array<Signature.PublicKey> = []
  for (const path of flags.keys) trusted.push(await Effect.runPromise(KeyFiles.readPublic(path)))
  let bar: ReturnType<typeof progressBar> | undefined
  try {
    return await Effect.runPromise(
      VerifyRegistry.verify(flags.registry, {
        trusted: trusted.length > 0 ? trusted : undefined,
        onProgress: (done, total) => {
          bar ??= progressBar({
            force: flags.progress,
            total,
            minTotal: 200,
            title: "verify",
            unit: "items",
          })
          bar.update(done)
        },
      }),
    )
  } finally {
    bar?.stop()
  }
}

export const formatVerify = (report: VerifyRegistry.Report): string => {
  const channels = report.channels
    .map((c) => (c.version === undefined ? c.channel : `${c.channel} (version ${c.version})`))
    .join(", ")
  return [
    `${report.problems.length === 0 ? "sound" : `${report.problems.length} problem(s)`}: ${report.models} model(s), ${report.chunks} chunk(s) in ${channels || "no channels"}`,
    ...report.problems.map((p) => `  wrong: ${p}`),
    ...report.warnings.map((w) => `  warning: ${w}`),
  ].join("\n")
}

export interface ServeFlags {
  readonly directory: string
  readonly port: number | undefined
  readonly host: string | undefined
  readonly tokens: ReadonlyArray<string>
  readonly telemetry: string
}

/** Serves until SIGINT or SIGTERM, then closes and returns. */
export const serve = async (
  flags: ServeFlags,
  onListening: (url: string) => Promise<void>,
): Promise<void> => {
  const { stat } = await import("node:fs/promises")
  const isDirectory = await stat(flags.directory).then(
    (s) => s.isDirectory(),
    () => false,
  )
  if (!isDirectory) throw new InputError(`${flags.directory} is not a directory`)
  if (flags.tokens.length === 0) {
    process.stderr.write("edgeline sync serve: no --token given, so the telemetry ingest is off\n")
  }
  const server = await DevServer.start({
    directory: flags.directory,
    port: flags.port,
    host: flags.host,
    telemetry:
      flags.tokens.length === 0 ? undefined : { file: flags.telemetry, tokens: flags.tokens },
  })
  try {
    await onListening(server.url)
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve)
      process.once("SIGTERM", resolve)
    })
  } finally {
    await server.close()
  }
}
