/**
 * `edgeline distill label | export-jsonl | train | eval | report`: the
 * distillation loop on files, on `@edgeline/distill`'s public API. Each
 * step checks its input before any work (a bad line is refused before a
 * paid request or a training run), shows a progress bar on stderr, and
 * returns a summary for bin.ts to print. Outputs are written under a
 * temporary name and renamed into place when complete, so a failed run
 * never leaves half a file.
 *
 * `@edgeline/distill` and `@edgeline/model-message-triage` are external to
 * the bundle (rolldown.config.mjs): both are loaded from where npm installed
 * them, so the committed student is found beside its package, not under
 * the CLI's `dist/`.
 */
import { once } from "node:events"
import { constants, createReadStream, createWriteStream } from "node:fs"
import { access, mkdir, open, readdir, readFile, rename, rm, stat, unlink } from "node:fs/promises"
import { createRequire } from "node:module"
import { basename, dirname, extname, join, resolve } from "node:path"
import { createInterface } from "node:readline"
import { finished } from "node:stream/promises"
import {
  Distillation,
  EvaluateModel,
  LabelJob,
  LabelledSet,
  type ModelCard,
  OnnxImport,
  OpenAiTeacher,
  Presets,
  Report,
  Teacher,
  TextRecords,
} from "@edgeline/distill"
import { specifier as studentSpecifier } from "@edgeline/model-message-triage"
import * as DataFile from "./DataFile.js"
import { fileError, OutputError } from "./Output.js"
import { progressBar } from "./ProgressBar.js"
import { InputError, InputFileError, UsageError } from "./UsageError.js"

// ---------------------------------------------------------------- shared

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e))
const tagOf = (e: unknown): string | undefined => (e as { _tag?: string } | null)?._tag

/** A temporary name beside `path`, renamed onto it when the output is complete. */
const partialOf = (path: string) => join(dirname(path), `.${basename(path)}.${process.pid}.partial`)

/** Refuses an output file that cannot be made, before any work: a missing directory, a directory. */
const claimFile = async (path: string): Promise<string> => {
  const existing = await stat(path).catch(() => undefined)
  if (existing?.isDirectory()) throw new OutputError(`cannot write ${path}: it is a directory`)
  const partial = partialOf(path)
  try {
    await (await open(partial, "wx")).close()
  } catch (e) {
    throw fileError(path, e)
  }
  return partial
}

/** Makes `dir` (and its parents), refusing a path that is a file; before any work. */
const claimDirectory = async (dir: string): Promise<void> => {
  const existing = await stat(dir).catch(() => undefined)
  if (existing !== undefined && !existing.isDirectory()) {
    throw new OutputError(`cannot write ${dir}: it is a file, not a directory`)
  }
  try {
    await mkdir(dir, { recursive: true })
  } catch (e) {
    throw fileError(dir, e)
  }
}

/** Refuses an output that would overwrite an input: `--out mail.jsonl` must not eat the data. */
const distinct = (outputs: Record<string, string>, inputs: Record<string, string>): void => {
  for (const [outName, out] of Object.entries(outputs)) {
    for (const [inName, input] of Object.entries(inputs)) {
      if (resolve(out) === resolve(input)) {
        throw new UsageError(`${outName} ${out} is also ${inName}: it would overwrite it`)
      }
    }
  }
}

/** A Node file-system error (it has an errno `code` and no tag) as an `OutputError` for `path`. */
const asWriteError = (path: string, e: unknown): unknown =>
  tagOf(e) === undefined && typeof (e as { code?: unknown } | null)?.code === "string"
    ? fileError(path, e)
    : e

// ---------------------------------------------------------------- label

export interface LabelFlags {
  readonly data: string
  /** The OpenAI-compatible API base, e.g. http://127.0.0.1:8080/v1. */
  readonly cloud: string
  /** The teacher model's name on that server. */
  readonly model: string
  readonly cache: string
  readonly apiKey: string | undefined
  readonly labels: ReadonlyArray<string>
  readonly concurrency: number | undefined
  readonly rps: number | undefined
  readonly maxAttempts: number | undefined
  readonly pricing: Teacher.Pricing | undefined
  readonly progress: boolean | undefined
}

/** The labelling job's summary (LabelJob.Summary), as the command prints it. */
export interface LabelSummary extends Omit<LabelJob.Summary, "failed"> {
  readonly data: string
  readonly cache: string
  /** The teacher's id: part of every cache key. */
  readonly teacher: string
  /** Messages without an answer: the next run asks for them again. */
  readonly failed: number
  /** Stopped by SIGINT or SIGTERM: the answers so far are in the cache. */
  readonly interrupted: boolean
  /** The first few failures: the message's id and why. */
  readonly failures: ReadonlyArray<{ readonly id: string; readonly error: string }>
}

/** Failures kept in the summary; the count covers the rest. */
const FAILURES_SHOWN = 5

/** The URL without credentials, for messages. */
const shown = (url: string): string => {
  const parsed = new URL(url)
  parsed.username = ""
  parsed.password = ""
  return parsed.href.replace(/\/+$/, "")
}

/** What a request the server refused means for the whole job (these statuses refuse every message alike). */
const refusal = (flags: LabelFlags, status: number): InputError =>
  status === 404
    ? new InputError(
        `the teacher at ${shown(flags.cloud)} answered 404 for model "${flags.model}": check --model, and that --cloud ends where the API starts (often /v1)`,
      )
    : new InputError(
        `the teacher at ${shown(flags.cloud)} refused the request (${status}): give its API key with --api-key or OPENAI_API_KEY`,
      )

/** Checks that the server answers at all (GET /models), so a wrong --cloud fails at once, not after every retry. */
const reach = async (flags: LabelFlags): Promise<void> => {
  const base = flags.cloud.replace(/\/+$/, "")
  let status: number
  try {
    const response = await fetch(`${base}/models`, {
      headers: flags.apiKey === undefined ? {} : { authorization: `Bearer ${flags.apiKey}` },
      signal: AbortSignal.timeout(15_000),
    })
    status = response.status
    await response.body?.cancel()
  } catch (e) {
    if ((e as Error).name === "TimeoutError") {
      throw new InputError(
        `the teacher at ${shown(base)} did not answer within 15 s; is --cloud right?`,
      )
    }
    // Node's fetch says "fetch failed"; why is in its cause (ECONNREFUSED, ENOTFOUND, "bad port").
    const cause = (e as { cause?: { code?: unknown; message?: unknown } }).cause
    const why =
      typeof cause?.code === "string"
        ? cause.code
        : typeof cause?.message === "string"
          ? cause.message
          : messageOf(e)
    throw new InputError(
      `cannot reach the teacher at ${shown(base)} (${why}); is the server running and --cloud right? (\`edgeline cloud serve\` runs one on loopback)`,
    )
  }
  if (status === 401 || status === 403) throw refusal(flags, status)
  if (status === 404 && new URL(base).pathname === "/") {
    throw new InputError(
      `${shown(base)} has no API at its root (404 for /models); the API usually starts at /v1: --cloud ${base}/v1`,
    )
  }
}

/** The keys the cache holds for this teacher (none when there is no cache yet). */
const heldKeys = async (cache: string, teacher: Teacher.Teacher): Promise<ReadonlySet<string>> => {
  const info = await stat(cache).catch(() => undefined)
  if (info === undefined) return new Set()
  if (info.isDirectory()) {
    throw new InputFileError(
      `${cache}: is a directory, not a labelling cache (--cache names a file)`,
    )
  }
  return new Set((await LabelJob.load(cache, teacher)).keys())
}

/** Refuses a cache that cannot be appended to (or created), before any request. */
const checkWritable = async (cache: string): Promise<void> => {
  try {
    const exists = await stat(cache).then(
      () => true,
      () => false,
    )
    if (!exists) await mkdir(dirname(cache), { recursive: true })
    await access(exists ? cache : dirname(cache), constants.W_OK)
  } catch (e) {
    throw fileError(cache, e)
  }
}

/**
 * Labels every message of `--data` with the teacher, appending each answer
 * to `--cache` as it arrives. A rerun asks only for what the cache lacks, so
 * a killed or interrupted run resumes without paying twice.
 */
export const label = async (flags: LabelFlags): Promise<LabelSummary> => {
  const teacher = OpenAiTeacher.make({
    baseUrl: flags.cloud,
    apiKey: flags.apiKey,
    model: flags.model,
    labels: flags.labels,
    pricing: flags.pricing,
  })
  distinct({ "--cache": flags.cache }, { "--data": flags.data })
  await DataFile.checkFile(flags.data, "--data")
  const held = await heldKeys(flags.cache, teacher)
  await checkWritable(flags.cache)
  let missing = 0
  const total = await DataFile.check(
    flags.data,
    { labels: flags.labels, needs: "none", uniqueIds: true, option: "--data" },
    (record) => {
      if (!held.has(LabelJob.keyOf(teacher, record.text))) missing++
    },
  )
  if (missing > 0) await reach(flags)

  // A refusal that applies to every message (a wrong key or model) stops the job at once.
  const controller = new AbortController()
  let refused: InputError | undefined
  const guarded = Teacher.make({
    id: teacher.id,
    labels: teacher.labels,
    pricing: teacher.pricing,
    label: async (text, { signal }) => {
      try {
        return await Teacher.labelPromise(teacher, text, { signal })
      } catch (e) {
        const status = (e as { status?: unknown }).status
        if (
          tagOf(e) === "TeacherRejectedError" &&
          (status === 401 || status === 403 || status === 404)
        ) {
          refused ??= refusal(flags, status)
          controller.abort()
        }
        throw e
      }
    },
  })

  async function* items() {
    let position = 0
    for await (const record of TextRecords.read(flags.data)) {
      position++
      yield { id: record.id ?? String(position), text: record.text }
    }
  }

  const bar = progressBar({
    force: flags.progress,
    total,
    minTotal: 1,
    title: "label",
    unit: "items",
  })
  let last: LabelJob.Progress | undefined
  let interrupted = false
  const stop = () => {
    interrupted = true
    controller.abort()
  }
  process.once("SIGINT", stop)
  process.once("SIGTERM", stop)
  const started = performance.now()
  const summaryOf = (
    counts: Omit<LabelJob.Progress, "done" | "total" | "failed">,
    failed: number,
    failures: ReadonlyArray<LabelJob.Failure>,
    droppedPartialLine: boolean,
  ): LabelSummary => ({
    data: flags.data,
    cache: flags.cache,
    teacher: teacher.id,
    total,
    // Picked, not spread: a progress or summary object carries more than the output shows.
    labelled: counts.labelled,
    cached: counts.cached,
    failed,
    malformed: counts.malformed,
    retries: counts.retries,
    promptTokens: counts.promptTokens,
    completionTokens: counts.completionTokens,
    costUsd: counts.costUsd,
    durationMs: Math.round(performance.now() - started),
    droppedPartialLine,
    interrupted,
    failures: failures
      .slice(0, FAILURES_SHOWN)
      .map(({ id, error }) => ({ id, error: messageOf(error).split("\n")[0]! })),
  })
  try {
    const summary = await LabelJob.runPromise({
      teacher: guarded,
      items: items(),
      total,
      cache: flags.cache,
      concurrency: flags.concurrency,
      requestsPerSecond: flags.rps,
      maxAttempts: flags.maxAttempts,
      signal: controller.signal,
      onProgress: (p) => {
        last = p
        bar.update(
          p.done,
          `${p.failed} failed${p.costUsd > 0 ? ` | $${p.costUsd.toFixed(4)}` : ""}`,
        )
      },
    })
    return summaryOf(summary, summary.failed.length, summary.failed, summary.droppedPartialLine)
  } catch (e) {
    if (refused !== undefined) throw refused
    // The cache was read before the job (heldKeys): failing to open or append to it now is a write.
    if (
      tagOf(e) === "LabelCacheError" &&
      /^cannot (open|write to) the labelling cache/.test(messageOf(e))
    ) {
      throw new OutputError(messageOf(e))
    }
    if (interrupted) {
      const counts = last ?? {
        labelled: 0,
        cached: 0,
        malformed: 0,
        retries: 0,
        promptTokens: 0,
        completionTokens: 0,
        costUsd: 0,
      }
      // After a cancel only the failures' count is known, from the last progress.
      return summaryOf(counts, last?.failed ?? 0, [], false)
    }
    throw e
  } finally {
    bar.stop()
    process.off("SIGINT", stop)
    process.off("SIGTERM", stop)
  }
}

const count = (n: number) => n.toLocaleString("en-US")

export const formatLabel = (s: LabelSummary): string => {
  const lines = [
    `${s.interrupted ? "interrupted: " : ""}labelled ${count(s.labelled)}, cached ${count(s.cached)}, failed ${count(s.failed)} of ${count(s.total)} messages in ${(s.durationMs / 1000).toFixed(1)} s`,
    `tokens: ${count(s.promptTokens)} prompt, ${count(s.completionTokens)} completion; cost $${s.costUsd.toFixed(4)}${s.costUsd === 0 && s.promptTokens > 0 ? " (--pricing prices them)" : ""}`,
    `malformed answers: ${count(s.malformed)}, retries: ${count(s.retries)}`,
    `cache: ${s.cache} (teacher ${s.teacher})`,
  ]
  for (const f of s.failures) lines.push(`  failed ${f.id}: ${f.error}`)
  return lines.join("\n")
}

// ---------------------------------------------------------------- export-jsonl

export interface ExportFlags {
  readonly data: string
  readonly cache: string
  readonly out: string
  /** Also split the set by position into `<out>-train.jsonl` and `<out>-validation.jsonl`. */
  readonly validationShare: number | undefined
  /** Whose answers to take, when the cache holds several teachers'. */
  readonly teacher: string | undefined
}

export interface ExportSummary {
  readonly data: string
  readonly cache: string
  readonly out: string
  /** Lines written: messages with an answer in the cache. */
  readonly written: number
  /** Messages the cache has no answer for (label them first). */
  readonly unlabelled: number
  /** Messages whose text changed since they were labelled (their answers are not used). */
  readonly changed: number
  readonly train?: { readonly path: string; readonly lines: number } | undefined
  readonly validation?: { readonly path: string; readonly lines: number } | undefined
}

/** `labelled.jsonl` → `labelled-train.jsonl` and `labelled-validation.jsonl`, beside it. */
const splitNames = (out: string) => {
  const ext = extname(out)
  const stem = ext === ".jsonl" || ext === ".json" ? out.slice(0, -ext.length) : out
  const suffix = ext === ".jsonl" || ext === ".json" ? ext : ".jsonl"
  return { train: `${stem}-train${suffix}`, validation: `${stem}-validation${suffix}` }
}

/** Whether the line at `position` (from 0) is validation: evenly spread, e.g. every fifth for 0.2. */
const isValidation = (position: number, share: number) =>
  Math.floor((position + 1) * share + 1e-9) > Math.floor(position * share + 1e-9)

/** Writes the lines of `from` into two files by position; resolves with their line counts. */
const split = async (from: string, train: string, validation: string, share: number) => {
  const outs = [createWriteStream(train), createWriteStream(validation)] as const
  const counts = [0, 0]
  const failed = Promise.race(
    outs.map(
      (s, k) =>
        new Promise<never>((_, reject) =>
          s.once("error", (e) => reject(fileError(k === 0 ? train : validation, e))),
        ),
    ),
  )
  failed.catch(() => {})
  const work = async () => {
    const lines = createInterface({ input: createReadStream(from, { encoding: "utf8" }) })
    let position = 0
    for await (const line of lines) {
      if (line === "") continue
      const k = isValidation(position++, share) ? 1 : 0
      counts[k]!++
      if (!outs[k].write(`${line}\n`)) await once(outs[k], "drain")
    }
    for (const s of outs) s.end()
    await Promise.all(outs.map((s) => finished(s)))
  }
  await Promise.race([work(), failed])
  return { train: counts[0]!, validation: counts[1]! }
}

/**
 * The labelled set: each message of `--data` the cache has an answer for,
 * as `{"id", "text", "label"?, "soft_labels": {...}, "teacher"}`, the form
 * `distill train` and GPU training elsewhere read.
 */
export const exportJsonl = async (flags: ExportFlags): Promise<ExportSummary> => {
  const names = flags.validationShare === undefined ? undefined : splitNames(flags.out)
  const targets = [flags.out, ...(names ? [names.train, names.validation] : [])]
  distinct(
    {
      "--out": flags.out,
      ...(names
        ? { "its training split": names.train, "its validation split": names.validation }
        : {}),
    },
    { "--data": flags.data, "--cache": flags.cache },
  )
  // Any label is fine here: the teacher's labels are in the cache.
  await DataFile.check(flags.data, {
    labels: undefined,
    needs: "none",
    uniqueIds: true,
    option: "--data",
  })
  await DataFile.checkFile(flags.cache, "--cache", "labelling cache")
  const partials: Array<string> = []
  try {
    for (const target of targets) partials.push(await claimFile(target))
    const [partial] = partials as [string]
    let result: LabelledSet.Summary
    try {
      result = await LabelledSet.write({
        data: flags.data,
        cache: flags.cache,
        out: partial,
        teacher: flags.teacher,
      })
    } catch (e) {
      // LabelledSet reports a failed write as a DataError on the output's path.
      if (tagOf(e) === "DataError" && (e as { path?: string }).path === partial) {
        throw new OutputError(
          `cannot write ${flags.out}: ${messageOf(e).replace(/^cannot write \S+: /, "")}`,
        )
      }
      if (tagOf(e) === "DataError" && / several teachers /.test(messageOf(e))) {
        throw new InputError(`${messageOf(e)} with --teacher <id>`)
      }
      throw e
    }
    if (result.written === 0) {
      throw new InputError(
        `${flags.cache} has no answer for any message of ${flags.data}${result.changed > 0 ? ` (${result.changed} changed since they were labelled)` : ""}; label them first with \`edgeline distill label --data ${flags.data} --cache ${flags.cache} …\``,
      )
    }
    let counts: { train: number; validation: number } | undefined
    if (names !== undefined) {
      counts = await split(partial, partials[1]!, partials[2]!, flags.validationShare!)
    }
    for (const [k, target] of targets.entries()) await rename(partials[k]!, target)
    partials.length = 0
    return {
      data: flags.data,
      cache: flags.cache,
      out: flags.out,
      ...result,
      ...(names && counts
        ? {
            train: { path: names.train, lines: counts.train },
            validation: { path: names.validation, lines: counts.validation },
          }
        : {}),
    }
  } finally {
    for (const partial of partials) await unlink(partial).catch(() => undefined)
  }
}

export const formatExport = (s: ExportSummary): string => {
  const lines = [
    `${s.out}: ${count(s.written)} labelled messages`,
    `without an answer in ${s.cache}: ${count(s.unlabelled)}${s.unlabelled > 0 ? " (label them first: edgeline distill label)" : ""}`,
    `changed since labelled: ${count(s.changed)}`,
  ]
  if (s.train && s.validation) {
    lines.push(`train: ${s.train.path} (${count(s.train.lines)})`)
    lines.push(`validation: ${s.validation.path} (${count(s.validation.lines)})`)
  }
  return lines.join("\n")
}

// ---------------------------------------------------------------- train

export interface TrainFlags {
  readonly data: string
  readonly validation: string
  readonly out: string
  readonly labels: ReadonlyArray<string>
  readonly seed: number | undefined
  readonly epochs: number | undefined
  readonly progress: boolean | undefined
}

export interface TrainSummary {
  readonly out: string
  readonly files: { readonly model: string; readonly json: string; readonly html: string }
  readonly labels: ReadonlyArray<string>
  /** Messages trained on, and validated on. */
  readonly train: number
  readonly validation: number
  readonly parameters: number
  readonly bytes: number
  /** On validation, against its `label`s; null when it has none. */
  readonly accuracy: number | null
  /** The teacher's accuracy and the student's agreement with it; null when validation has no `soft_labels`. */
  readonly teacherAccuracy: number | null
  readonly agreement: number | null
  readonly ece: number | null
  /** Escalate when the top probability is below this; null without the teacher's soft labels on validation. */
  readonly threshold: number | null
  readonly escalatedAtThreshold: number | null
  readonly cascadeAccuracyAtThreshold: number | null
  readonly trainingMs: number
}

const MODEL_FILES = ["model.onnx", "report.json", "report.html"] as const

/**
 * Trains the on-device student (`Presets.triageStudent`) on `--data`'s soft
 * labels (else its labels), evaluates it on `--validation`, and writes
 * model.onnx, report.json and report.html into `--out`.
 */
export const train = async (flags: TrainFlags): Promise<TrainSummary> => {
  const rules = { labels: flags.labels, needs: "target" as const }
  const trainCount = await DataFile.check(flags.data, { ...rules, option: "--data" })
  const validationCount = await DataFile.check(flags.validation, {
    ...rules,
    option: "--validation",
  })
  await claimDirectory(flags.out)
  // Written beside the outputs, then moved into place: a failed run leaves no half a model.
  const staging = join(flags.out, `.edgeline-train-${process.pid}.partial`)
  const preset = {
    ...Presets.triageStudent,
    ...(flags.seed === undefined ? {} : { seed: flags.seed }),
    ...(flags.epochs === undefined ? {} : { epochs: flags.epochs }),
  }
  let bar = progressBar({
    force: flags.progress,
    total: trainCount,
    minTotal: 1,
    title: "featurize",
    unit: "items",
  })
  let phase: "featurize" | "train" = "featurize"
  try {
    const distilled = await Distillation.distillFiles({
      labels: flags.labels,
      preset,
      data: flags.data,
      validation: flags.validation,
      out: staging,
      dataset: basename(flags.data),
      onProgress: (p) => {
        if (p.phase === "featurize") return bar.update(p.done)
        if (phase === "featurize") {
          bar.stop()
          phase = "train"
          bar = progressBar({
            force: flags.progress,
            total: p.epochs,
            minTotal: 1,
            title: "train",
            unit: "items",
          })
        }
        bar.update(p.epoch, `loss ${p.loss.toFixed(4)}`)
        // Evaluation, export and the report follow: the bar is done.
        if (p.epoch === p.epochs) bar.stop()
      },
    }).catch((e: unknown) => Promise.reject(asWriteError(flags.out, e)))
    bar.stop()
    for (const file of MODEL_FILES) {
      await rename(join(staging, file), join(flags.out, file)).catch((e: unknown) =>
        Promise.reject(fileError(join(flags.out, file), e)),
      )
    }
    const { evaluation, card } = distilled
    const chosen = evaluation.escalation?.chosen
    return {
      out: flags.out,
      files: {
        model: join(flags.out, "model.onnx"),
        json: join(flags.out, "report.json"),
        html: join(flags.out, "report.html"),
      },
      labels: flags.labels,
      train: trainCount,
      validation: validationCount,
      parameters: card.parameters,
      bytes: distilled.model.byteLength,
      accuracy: evaluation.student.accuracy,
      teacherAccuracy: evaluation.teacher?.accuracy ?? null,
      agreement: evaluation.agreement,
      ece: evaluation.calibration?.ece ?? null,
      threshold: chosen?.threshold ?? null,
      escalatedAtThreshold: chosen?.escalated ?? null,
      cascadeAccuracyAtThreshold: chosen?.accuracy ?? null,
      trainingMs: Math.round(distilled.extras.trainingMs ?? 0),
    }
  } finally {
    bar.stop()
    await rm(staging, { recursive: true, force: true }).catch(() => undefined)
  }
}

const percent = (x: number | null) => (x === null ? "—" : `${(x * 100).toFixed(2)} %`)

export const formatTrain = (s: TrainSummary): string =>
  [
    `trained on ${count(s.train)} messages, validated on ${count(s.validation)}, in ${(s.trainingMs / 1000).toFixed(1)} s`,
    `accuracy: ${percent(s.accuracy)}${s.teacherAccuracy === null ? "" : ` (teacher ${percent(s.teacherAccuracy)}, agreement ${percent(s.agreement)})`}`,
    s.threshold === null
      ? "threshold: none (the validation set has no teacher soft_labels to escalate to)"
      : `threshold: ${s.threshold.toFixed(4)} (escalates ${percent(s.escalatedAtThreshold)}, cascade accuracy ${percent(s.cascadeAccuracyAtThreshold)})`,
    `ece: ${s.ece === null ? "—" : s.ece.toFixed(4)}`,
    `model: ${s.files.model} (${count(s.bytes)} bytes, ${count(s.parameters)} parameters)`,
    `report: ${s.files.html}`,
  ].join("\n")

// ---------------------------------------------------------------- eval and report

export interface EvalFlags {
  /** A directory holding model.onnx, or an .onnx file; the committed student when undefined. */
  readonly model: string | undefined
  readonly data: string
  readonly progress: boolean | undefined
}

export interface EvalSummary {
  readonly model: string
  readonly name: string
  readonly data: string
  readonly items: number
  readonly labels: ReadonlyArray<string>
  /** Against the data's `label`s. */
  readonly accuracy: number | null
  readonly correct: number | null
  /** The positive class (the second of two labels) and its precision, recall and F1. */
  readonly positive: string | null
  readonly precision: number | null
  readonly recall: number | null
  readonly f1: number | null
  /** `confusion[truth][predicted]`, in the order of `labels`. */
  readonly confusion: ReadonlyArray<ReadonlyArray<number>> | null
  readonly ece: number | null
  /** With the teacher's `soft_labels` on every line: its accuracy, and the model's agreement with it. */
  readonly teacherAccuracy: number | null
  readonly agreement: number | null
  /** The model's own escalation threshold, and the share of the data below it. */
  readonly threshold: number | null
  readonly escalatedAtThreshold: number | null
  readonly msPerItem: number
}

interface LoadedModel {
  readonly path: string
  readonly bytes: Uint8Array
  readonly card: ModelCard.ModelCard
}

/** The committed student's model.onnx, resolved from where `@edgeline/model-message-triage` is installed. */
const committedStudent = (): string => createRequire(import.meta.url).resolve(studentSpecifier)

const loadModel = async (given: string | undefined): Promise<LoadedModel> => {
  let path = given ?? committedStudent()
  const info = await stat(path).catch((e: NodeJS.ErrnoException) => {
    throw new InputFileError(
      e.code === "ENOENT"
        ? `${path}: no such file or directory (--model)`
        : `${path}: cannot read (${e.code ?? e.message})`,
    )
  })
  if (info.isDirectory()) {
    const inside = join(path, "model.onnx")
    const found = await stat(inside).then(
      (i) => i.isFile(),
      () => false,
    )
    if (!found) {
      const onnx = (await readdir(path).catch(() => [])).filter((f) => f.endsWith(".onnx"))
      throw new InputFileError(
        `${path}: no model.onnx in this directory; give the directory \`edgeline distill train --out\` wrote${onnx.length > 0 ? `, or the file itself (--model ${join(path, onnx[0]!)})` : ", or an .onnx file"}`,
      )
    }
    path = inside
  }
  const bytes = new Uint8Array(
    await readFile(path).catch((e: NodeJS.ErrnoException) => {
      throw new InputFileError(`${path}: cannot read (${e.code ?? e.message})`)
    }),
  )
  const card = OnnxImport.card(bytes)
  if (typeof card === "string") {
    throw new InputFileError(`${path}: not a model @edgeline/distill can read: ${card}`)
  }
  return { path, bytes, card }
}

/** Items above which eval and report show a bar on a terminal: smaller sets take well under a second. */
const MANY_ITEMS = 2000

const evaluate = async (flags: EvalFlags, needs: "label" | "target") => {
  const model = await loadModel(flags.model)
  const items = await DataFile.check(flags.data, {
    labels: model.card.labels,
    needs,
    option: "--data",
  })
  const bar = progressBar({
    force: flags.progress,
    total: items,
    minTotal: MANY_ITEMS,
    title: "eval",
    unit: "items",
  })
  try {
    const result = await EvaluateModel.onFile({
      model: model.bytes,
      data: flags.data,
      onProgress: (done) => bar.update(done),
    }).catch((e: unknown) => {
      if (tagOf(e) === "ModelFormatError") {
        throw new InputFileError(
          `${model.path}: not a model @edgeline/distill can read: ${messageOf(e)}`,
        )
      }
      throw e
    })
    return { model, result }
  } finally {
    bar.stop()
  }
}

const summarize = (
  flags: EvalFlags,
  model: LoadedModel,
  result: EvaluateModel.Result,
): EvalSummary => {
  const e = result.evaluation
  const truth = e.confusion.truth
  const correct =
    truth === null ? null : truth.matrix.reduce((sum, row, k) => sum + (row[k] ?? 0), 0)
  return {
    model: model.path,
    name: model.card.name,
    data: flags.data,
    items: e.counts.items,
    labels: e.labels,
    accuracy: e.student.accuracy,
    correct,
    positive: truth?.positive?.label ?? null,
    precision: truth?.positive?.precision ?? null,
    recall: truth?.positive?.recall ?? null,
    f1: truth?.positive?.f1 ?? null,
    confusion: truth?.matrix ?? null,
    ece: e.calibration?.ece ?? null,
    teacherAccuracy: e.teacher?.accuracy ?? null,
    agreement: e.agreement,
    threshold: model.card.threshold ?? null,
    escalatedAtThreshold: result.escalatedAtThreshold,
    msPerItem: result.msPerItem,
  }
}

/** A model (the committed student by default) on a labelled JSONL file: accuracy and the rest. */
export const evalModel = async (flags: EvalFlags): Promise<EvalSummary> => {
  const { model, result } = await evaluate(flags, "label")
  return summarize(flags, model, result)
}

export const formatEval = (s: EvalSummary): string => {
  const lines = [
    `model: ${s.model} (${s.name})`,
    `data: ${s.data} (${count(s.items)} messages)`,
    `accuracy: ${percent(s.accuracy)}${s.correct === null ? "" : ` (${count(s.correct)} of ${count(s.items)})`}`,
  ]
  if (s.positive !== null) {
    lines.push(
      `${s.positive}: precision ${percent(s.precision)}, recall ${percent(s.recall)}, F1 ${s.f1 === null ? "—" : s.f1.toFixed(4)}`,
    )
  }
  if (s.confusion !== null) {
    const width = Math.max(...s.labels.map((l) => l.length), 6)
    lines.push(`confusion (rows: truth, columns: model):`)
    lines.push(`  ${"".padEnd(width)} ${s.labels.map((l) => l.padStart(width)).join(" ")}`)
    for (const [k, row] of s.confusion.entries()) {
      lines.push(
        `  ${s.labels[k]!.padEnd(width)} ${row.map((n) => String(n).padStart(width)).join(" ")}`,
      )
    }
  }
  if (s.agreement !== null) {
    lines.push(`teacher: accuracy ${percent(s.teacherAccuracy)}, agreement ${percent(s.agreement)}`)
  }
  lines.push(`ece: ${s.ece === null ? "—" : s.ece.toFixed(4)}`)
  if (s.threshold !== null) {
    lines.push(
      `below the model's threshold ${s.threshold.toFixed(4)} (escalated): ${percent(s.escalatedAtThreshold)}`,
    )
  }
  lines.push(`time: ${s.msPerItem.toFixed(3)} ms per message (featurize + infer, in TypeScript)`)
  return lines.join("\n")
}

export interface ReportFlags extends EvalFlags {
  readonly out: string
}

export interface ReportSummary extends EvalSummary {
  readonly files: { readonly json: string; readonly html: string }
}

/** `eval` written as report.json and a self-contained report.html (SVG plots) into `--out`. */
export const report = async (flags: ReportFlags): Promise<ReportSummary> => {
  await claimDirectory(flags.out)
  const { model, result } = await evaluate(flags, "target")
  const written = await Report.write(flags.out, result.evaluation, {
    title: `Evaluation report: ${model.card.name} on ${basename(flags.data)}`,
    dataset: basename(flags.data),
    student: {
      name: model.card.name,
      bytes: model.bytes.byteLength,
      parameters: model.card.parameters,
      msPerItem: result.msPerItem,
    },
  })
  return { ...summarize(flags, model, result), files: written }
}

export const formatReport = (s: ReportSummary): string =>
  [
    `report: ${s.files.html} and ${s.files.json}`,
    `accuracy: ${percent(s.accuracy)} on ${count(s.items)} messages of ${s.data} (model ${s.model})`,
  ].join("\n")
