/**
 * The flywheel, end to end, on loopback:
 *
 *   seed slice ─▶ cloud teacher (soft labels) ─▶ distill v0 ─▶ publish ─▶ device activates it
 *   each round:
 *     device triages the round's unlabelled messages (student; the unsure, condensed, to the cloud)
 *       ─▶ each answered escalation, labelled by the cloud, ─▶ outbox ─▶ telemetry ingest (JSONL)
 *     trainer reads the ingest ─▶ distills the next version on seed + escalations ─▶ publishes it
 *       ─▶ device checks, activates it, and its running pipeline switches to it
 *
 * Everything runs in this process (the cloud tier and the registry's dev
 * server on loopback ports); nothing leaves the machine.
 */
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { InputError } from "../UsageError.js"
import * as CloudTier from "./CloudTier.js"
import * as Corpus from "./Corpus.js"
import * as Device from "./Device.js"
import * as DeviceCascade from "./DeviceCascade.js"
import * as EscalationSample from "./EscalationSample.js"
import * as Evaluator from "./Evaluator.js"
import { FlywheelError } from "./FlywheelError.js"
import * as FlywheelReport from "./FlywheelReport.js"
import * as Registry from "./Registry.js"
import * as TeacherLabels from "./TeacherLabels.js"
import * as Trainer from "./Trainer.js"

export interface Options extends Corpus.Sizes {
  /** Send each escalated message as written rather than condensed (opt-in). */
  readonly shareRawText: boolean
  /** The cascade accuracy each threshold is chosen for (default `Trainer.defaultTarget`). */
  readonly targetAccuracy?: number | undefined
  /** Keep the registry, the ingest's file, the models and the device's store here (an empty or new directory). */
  readonly out?: string | undefined
  readonly onProgress?: ((message: string) => void) | undefined
}

/** The version trained after round `r` (v0 is 1.0.0). */
const versionOf = (round: number) => `1.${round}.0`

const argmax = (p: ArrayLike<number>) => (p[1]! > p[0]! ? 1 : 0)

/** `out` if it is empty or missing (made), else an `InputError`: a registry signed by another run's key would not verify. */
const workDirectory = async (out: string | undefined) => {
  if (out === undefined)
    return { path: await mkdtemp(join(tmpdir(), "edgeline-flywheel-")), kept: false }
  const entries = await readdir(out).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return []
    throw new InputError(`--out ${out}: ${e.code === "ENOTDIR" ? "not a directory" : e.message}`)
  })
  if (entries.length > 0) {
    throw new InputError(
      `--out ${out} is not empty: give a new or empty directory (each run makes its own signing key and registry)`,
    )
  }
  await mkdir(out, { recursive: true }).catch((e: NodeJS.ErrnoException) => {
    throw new InputError(`--out ${out}: cannot make it (${e.code ?? e.message})`)
  })
  return { path: out, kept: true }
}

export const run = async (options: Options): Promise<FlywheelReport.Report> => {
  const started = performance.now()
  const progress = options.onProgress ?? (() => {})
  const work = await workDirectory(options.out)
  const closers: Array<() => Promise<void>> = []
  try {
    progress("loading the SpamAssassin corpus")
    const corpus = await Corpus.load(options)
    const cloud = await CloudTier.start()
    closers.push(cloud.close)
    const labelled = await TeacherLabels.label({
      cloud,
      seed: corpus.seed,
      validation: corpus.validation,
      cache: join(work.path, "labels.jsonl"),
      onProgress: progress,
    })
    const labels = cloud.labels
    const teacherRight = (
      pick: (item: (typeof labelled.validation)[number]) => ArrayLike<number>,
    ) =>
      labelled.validation.filter((item) => labels[argmax(pick(item))] === item.truth).length /
      labelled.validation.length
    const targetAccuracy =
      options.targetAccuracy ?? Trainer.defaultTarget(labels, labelled.validation)
    const trainer = Trainer.make({
      labels,
      seed: labelled.seed,
      validation: labelled.validation,
      target: targetAccuracy,
      directory: join(work.path, "models"),
    })
    const registryDir = join(work.path, "registry")
    await mkdir(registryDir, { recursive: true })
    const registry = await Registry.start({
      directory: registryDir,
      telemetryFile: Registry.telemetryFileIn(work.path),
    })
    closers.push(registry.close)
    const publish = async (version: Trainer.Version) => {
      await registry.publish({
        name: DeviceCascade.MODEL,
        version: version.version,
        model: version.file,
        metadata: Trainer.metadataOf(version),
      })
      progress(
        `published ${DeviceCascade.MODEL}@${version.version} (trained on ${version.examples} examples, threshold ${version.threshold.toFixed(4)})`,
      )
    }

    progress(`training student ${versionOf(0)} on the ${corpus.seed.length}-message seed slice`)
    const trained = new Map<string, Trainer.Version>()
    const v0 = await trainer.train(versionOf(0), [])
    trained.set(v0.version, v0)
    await publish(v0)

    const device = await Device.start({
      directory: join(work.path, "device"),
      registry,
      cloud,
      shareRawText: options.shareRawText,
    })
    closers.push(device.close)
    const first = await device.update()
    progress(`the device runs ${DeviceCascade.MODEL}@${first}`)
    const evaluator = await Evaluator.open({ device, cloud, validation: corpus.validation })
    closers.push(evaluator.close)

    const rounds: Array<FlywheelReport.Round> = []
    for (const [index, slice] of corpus.stream.entries()) {
      const round = index + 1
      const model = device.serving()!
      const version = trained.get(model)!
      progress(
        `round ${round}/${options.rounds}: the device triages ${slice.length} unlabelled messages with ${model}`,
      )
      const traffic = await device.triage(slice.map((m) => ({ id: m.id, text: m.text })))
      if (traffic.versions.some((v) => v !== model)) {
        throw new FlywheelError(
          `the device switched versions mid-round (${traffic.versions.join(", ")})`,
        )
      }
      await device.flush()
      const ingested = await EscalationSample.fromIngest(registry.telemetryFile, labels)
      progress(
        `round ${round}: ${traffic.escalated} escalations labelled by the cloud; the ingest holds ${ingested.samples.length}${ingested.skipped > 0 ? ` (${ingested.skipped} unusable samples skipped)` : ""}`,
      )
      const right = slice.filter((m) => traffic.answers.get(m.id)?.value === m.label).length
      progress(
        `round ${round}: measuring ${model} on ${corpus.validation.length} validation messages`,
      )
      const measured = await evaluator.measure(model)
      let published: string | undefined
      if (round < options.rounds) {
        const next = versionOf(round)
        progress(
          `round ${round}: training ${next} on the seed slice and ${ingested.samples.length} escalations`,
        )
        const trainedNext = await trainer.train(next, ingested.samples)
        trained.set(next, trainedNext)
        await publish(trainedNext)
        const activated = await device.update()
        if (activated !== next) {
          throw new FlywheelError(
            `the device activated ${activated ?? "nothing"} after ${next} was published`,
          )
        }
        progress(`round ${round}: the device's running pipeline switched to ${next}`)
        published = next
      }
      rounds.push({
        round,
        model,
        threshold: version.threshold,
        trainingExamples: version.examples,
        escalationsLearned: version.escalations,
        messages: slice.length,
        escalated: traffic.escalated,
        escalationRate: traffic.escalated / slice.length,
        degraded: traffic.degraded + measured.degraded,
        tokensSent: traffic.tokensSent,
        streamAccuracy: right / slice.length,
        validation: {
          studentAccuracy: measured.studentAccuracy,
          cascadeAccuracy: measured.cascadeAccuracy,
          escalationRate: measured.escalated,
        },
        ingested: ingested.samples.length,
        published,
      })
    }
    return {
      settings: {
        rounds: options.rounds,
        seedSize: options.seedSize,
        perRound: options.perRound,
        seed: options.seed,
        trainingText: options.shareRawText ? "raw" : "condensed",
        targetAccuracy,
      },
      teacher: {
        model: cloud.model,
        accuracy: teacherRight((item) => item.teacher!),
        accuracyOnSent: teacherRight((item) => item.escalated!),
      },
      validationMessages: corpus.validation.length,
      rounds,
      escalationFell: FlywheelReport.fell(rounds),
      out: work.kept ? work.path : undefined,
      durationMs: Math.round(performance.now() - started),
    }
  } finally {
    for (const close of closers.reverse()) await close().catch(() => {})
    if (!work.kept) await rm(work.path, { recursive: true, force: true })
  }
}
