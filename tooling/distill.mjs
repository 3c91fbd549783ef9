// `npm run distill`: reproduces the shipped message-triage models from the
// SpamAssassin `-1` subsets, byte for byte.
//
//   1. the teacher: an MLP trained on ground truth, served by the reference
//      cloud tier (packages/cloud-server/models/message-triage-teacher/). It
//      reads each training message twice, raw and as the device sends it to
//      the cloud (`TextCondense`: cleaned, masked, the best sentences under
//      the default budget): it stands in for a language model, which reads
//      the condensed text as well as the raw mail, so it must not depend on
//      what condensing drops (headers, HTML, quote markers);
//   2. the cloud tier starts on loopback and labels the training and
//      validation splits through its OpenAI-compatible API (soft labels from
//      top_logprobs), cached by content hash, and the validation messages
//      condensed too: what the cascade sends when it escalates. Here it runs the teacher in
//      TypeScript, not onnxruntime: onnxruntime's float kernels differ by CPU
//      (AVX2, AVX-512, NEON) in the last bits, and the labels must be the
//      same on every machine for the student to come out byte for byte;
//   3. the student learns the teacher's soft labels and is exported with its
//      threshold and drift reference (packages/model-message-triage). The
//      threshold is chosen for the cascade as it runs: an escalated message
//      is scored by the teacher's answer to its condensed text.
//
// `--check` writes nothing and exits 1 if a rebuilt model differs from the
// committed one. `--cache <file>` keeps the labels between runs.
import { createHash } from "node:crypto"
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { parseArgs } from "node:util"
import { CloudServer } from "@edgeline/cloud-server"
import {
  Classifier,
  Distillation,
  LabelJob,
  OpenAiTeacher,
  Presets,
  SpamAssassin,
} from "@edgeline/distill"
import { TextCondense } from "@edgeline/recipes"
import { Effect } from "effect"

const { values } = parseArgs({ options: { check: { type: "boolean" }, cache: { type: "string" } } })
const root = new URL("../", import.meta.url)
const teacherDir = new URL("packages/cloud-server/models/message-triage-teacher/", root)
const studentDir = new URL("packages/model-message-triage/", root)
const log = (message) => process.stderr.write(`[distill] ${message}\n`)
const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex")
const dataset =
  "SpamAssassin public corpus, -1 subsets (easy-ham-1, hard-ham-1, spam-1); every fifth message of each held out for validation"

const [train, validation] = [
  await SpamAssassin.load("train"),
  await SpamAssassin.load("validation"),
]
log(`${train.length} training and ${validation.length} validation messages`)
const onehot = (label) => SpamAssassin.labels.map((l) => (l === label ? 1 : 0))

// What the device sends the cloud for each message (the cascade's condense, default options).
const condensed = new Map()
for (const m of [...train, ...validation])
  condensed.set(m.id, (await Effect.runPromise(TextCondense.condense(m.text))).text)

log("1/3 teacher: trained on ground truth, each training message raw and condensed")
const teacherTrain = train.flatMap((m) => [
  { text: m.text, target: onehot(m.label) },
  { text: condensed.get(m.id), target: onehot(m.label) },
])
const teacher = await Distillation.distillPromise({
  labels: SpamAssassin.labels,
  preset: Presets.triageTeacher,
  train: teacherTrain,
  validation: validation.map((m) => ({ text: m.text, truth: m.label })),
  dataset: `${dataset}; the teacher read each training message raw and as TextCondense sends it (default budget)`,
  onProgress: (p) =>
    p.phase === "train" && log(`teacher epoch ${p.epoch}/${p.epochs} loss ${p.loss.toFixed(4)}`),
})
log(
  `teacher: ${teacher.card.parameters} parameters, ${teacher.model.byteLength} bytes, validation accuracy ${teacher.evaluation.student.accuracy}`,
)

log("2/3 labels: the cloud tier answers through its OpenAI-compatible API")
const reference = await Classifier.load(teacher.model)
const server = await CloudServer.start({
  port: 0,
  models: [
    {
      id: Presets.triageTeacher.name,
      labels: reference.card.labels,
      classify: (texts) => texts.map((t) => reference.classify(t)),
    },
  ],
})
const scratch = await mkdtemp(join(tmpdir(), "edgeline-distill-"))
// The teacher's id carries its hash: a --cache kept from another teacher's run is never read.
const asked = {
  id: `${Presets.triageTeacher.name}@${sha256(teacher.model).slice(0, 16)}`,
  labels: SpamAssassin.labels,
}
let labelled
try {
  const openai = OpenAiTeacher.make({
    baseUrl: `${server.url}/v1`,
    model: Presets.triageTeacher.name,
    ...asked,
  })
  const cache = values.cache ?? join(scratch, "labels.jsonl")
  const summary = await LabelJob.runPromise({
    teacher: openai,
    items: [
      ...[...train, ...validation].map((m) => ({ id: m.id, text: m.text })),
      ...validation.map((m) => ({ id: `${m.id}#condensed`, text: condensed.get(m.id) })),
    ],
    cache,
    concurrency: 4,
    onProgress: (p) => p.done % 500 === 0 && log(`labelled ${p.done}/${p.total}`),
  })
  if (summary.failed.length > 0)
    throw new Error(
      `${summary.failed.length} items could not be labelled: ${summary.failed[0].error}`,
    )
  labelled = await LabelJob.load(cache, asked)
  log(
    `labels: ${summary.labelled} asked, ${summary.cached} from the cache, ${summary.promptTokens} prompt tokens`,
  )
} finally {
  await server.close()
  await rm(scratch, { recursive: true, force: true })
}

log("3/3 student: learns the teacher's soft labels")
const softOf = (id, text) => {
  const entry = labelled.get(LabelJob.keyOf(asked, text))
  if (entry === undefined) throw new Error(`no label for ${id}`)
  return entry.probabilities
}
const soft = (m) => softOf(m.id, m.text)
const student = await Distillation.distillPromise({
  labels: SpamAssassin.labels,
  preset: Presets.triageStudent,
  train: train.map((m) => ({ text: m.text, target: soft(m) })),
  validation: validation.map((m) => ({
    text: m.text,
    truth: m.label,
    teacher: soft(m),
    escalated: softOf(`${m.id}#condensed`, condensed.get(m.id)),
  })),
  teacherName: `${Presets.triageTeacher.name} (reference cloud tier)`,
  dataset,
  onProgress: (p) =>
    p.phase === "train" && log(`student epoch ${p.epoch}/${p.epochs} loss ${p.loss.toFixed(4)}`),
})

const outputs = [
  { name: "teacher", path: new URL("model.onnx", teacherDir), bytes: teacher.model },
  { name: "student", path: new URL("model.onnx", studentDir), bytes: student.model },
]
if (values.check) {
  let same = true
  for (const o of outputs) {
    const committed = await readFile(o.path).catch(() => new Uint8Array())
    const equal = sha256(committed) === sha256(o.bytes)
    same &&= equal
    log(
      `${o.name}: ${equal ? "identical to" : "DIFFERS from"} ${o.path.pathname} (sha256 ${sha256(o.bytes)})`,
    )
  }
  process.exitCode = same ? 0 : 1
} else {
  await Distillation.write(teacherDir.pathname, teacher, {
    title: "Reference teacher: message triage",
  })
  await Distillation.write(studentDir.pathname, student)
  const card = {
    sha256: sha256(student.model),
    bytes: student.model.byteLength,
    threshold: student.card.threshold,
  }
  await writeFile(
    new URL("index.js", studentDir),
    `/**
 * The message-triage student distilled by @edgeline/distill (written by
 * \`npm run distill\`; do not edit). Resolve the file through \`specifier\`
 * (Node: \`createRequire(import.meta.url).resolve(specifier)\`; Vite:
 * \`import url from "@edgeline/model-message-triage/model.onnx?url"\`).
 */

/** The model file, as a package specifier. */
export const specifier = "@edgeline/model-message-triage/model.onnx"

/** Lowercase hex SHA-256 of the file: pin it, and a source verifies the bytes. */
export const sha256 = "${card.sha256}"

/** Size of the file in bytes. */
export const bytes = ${card.bytes}

/** The labels, in the order of the model's outputs. */
export const labels = ["ham", "spam"]

/** Escalate when the top probability is below this: chosen on validation, also in the model's metadata. */
export const threshold = ${card.threshold}

/** The featurizer the model was trained with (\`@edgeline/distill/features\`), also in the model's metadata. */
export const featurizer = {
${Object.entries(student.card.featurizer)
  .map(
    ([key, value]) =>
      `  ${key}: ${Array.isArray(value) ? `[${value.map((v) => JSON.stringify(v)).join(", ")}]` : JSON.stringify(value)},`,
  )
  .join("\n")}
}
`,
  )
  for (const o of outputs)
    log(`wrote ${o.path.pathname} (${o.bytes.byteLength} bytes, sha256 ${sha256(o.bytes)})`)
}
const e = student.evaluation
log(
  `student: accuracy ${e.student.accuracy?.toFixed(4)}, agreement ${e.agreement?.toFixed(4)}, ECE ${e.calibration?.ece.toFixed(4)}, threshold ${student.card.threshold} (escalates ${e.escalation?.chosen.escalated.toFixed(4)}); teacher accuracy ${teacher.evaluation.student.accuracy?.toFixed(4)}`,
)
