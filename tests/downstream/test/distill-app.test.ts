/**
 * The distillation packages as users get them: @edgeline/distill,
 * @edgeline/cloud-server and @edgeline/model-message-triage installed from
 * their tarballs into an app outside the workspace (fixtures/distill-app,
 * with `openai` and `onnxruntime-node` of its own), compiled with
 * `tsc --strict`, and run from an unrelated working directory on real mail
 * (SpamAssassin's `-1` subsets only), on odd and hostile inputs, and on
 * inputs far longer than the fixtures.
 *
 * Each step is one of the app's scripts, printing one line of JSON that the
 * tests below judge. A test marked `it.fails` states the behaviour we want
 * and fails today: its name says what happens instead.
 */
import { mkdir, readFile } from "node:fs/promises"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest"
import { makeDistillApp } from "../support/app.js"
import { exec, type Result, tail } from "../support/exec.js"
import { install } from "../support/install.js"
import { type Mail, mails, writeJsonl } from "../support/spam-assassin.js"
import { makeTempDir, removeTempDir } from "../support/temp.js"
import { copiesOf } from "../support/tree.js"
import { tsc } from "../support/typecheck.js"

const tarballs = inject("tarballs")

const MB = 1024 * 1024

/** Model files whose protobuf and card decode, but whose weights are not numbers or do not fit the card. */
const SILENT_CORRUPTIONS = [
  "the weights overwritten with 0xff (NaN)",
  "three labels in the card, two outputs in the graph",
  "buckets in the card twice the embedding's rows",
]

/** What the app says about an error it caught (fixtures/distill-app/src/report.ts). */
interface Problem {
  readonly _tag: string | null
  readonly name: string
  readonly message: string
  readonly line?: number
}
type Attempt<A> =
  | { readonly ok: true; readonly value: A }
  | { readonly ok: false; readonly error: Problem }

let temp: string
let app: string
/** The app's data: train.jsonl and validation.jsonl (to label), heldout.jsonl (never trained on). */
let data: string
/** The working directory the app runs in, and where it writes: nothing to do with the app. */
let work: string
let labelled: ReadonlyArray<Mail>
let heldout: ReadonlyArray<Mail>
let compiled: Result

/** Runs one of the app's scripts from `work`; its last line of output is its JSON result. */
const runApp = async <A = any>(
  script: string,
  args: ReadonlyArray<string>,
  nodeOptions: ReadonlyArray<string> = [],
): Promise<A> => {
  const result = await exec(
    process.execPath,
    [...nodeOptions, join(app, "dist", script), ...args],
    {
      cwd: work,
      timeoutMs: 240_000,
    },
  )
  expect(result.code, tail(result)).toBe(0)
  return JSON.parse(result.stdout.trim().split("\n").pop()!)
}

beforeAll(async () => {
  temp = await makeTempDir("distill-app")
  app = join(temp, "app")
  data = join(temp, "data")
  work = join(temp, "work")
  await makeDistillApp(app, tarballs, "hoisted")
  await install(app, "hoisted")
  // Emits dist/ even when it finds errors: the scripts run regardless.
  compiled = await tsc(app)
  // Real mail: 96 messages to label (a quarter of them for validation), and
  // 50 from the split the shipped student never trained on.
  const [easy, hard, spam] = await Promise.all([
    mails("easy-ham-1", "train", 40),
    mails("hard-ham-1", "train", 16),
    mails("spam-1", "train", 40),
  ])
  labelled = [...easy, ...hard, ...spam]
  heldout = (
    await Promise.all([
      mails("easy-ham-1", "validation", 20),
      mails("hard-ham-1", "validation", 10),
      mails("spam-1", "validation", 20),
    ])
  ).flat()
  await mkdir(data, { recursive: true })
  await mkdir(work, { recursive: true })
  await writeJsonl(
    join(data, "train.jsonl"),
    labelled.filter((_, i) => i % 4 !== 3),
  )
  await writeJsonl(
    join(data, "validation.jsonl"),
    labelled.filter((_, i) => i % 4 === 3),
  )
  await writeJsonl(join(data, "heldout.jsonl"), heldout)
})
afterAll(() => removeTempDir(temp))

describe("a distillation app installed from the tarballs (npm, hoisted)", () => {
  it("has one copy each of effect and onnxruntime-node (the app's and the cloud server's are the same)", () => {
    expect(copiesOf(app, "effect")).toHaveLength(1)
    expect(copiesOf(app, "onnxruntime-node")).toHaveLength(1)
  })

  it("typechecks under tsc --strict (the distill API, the features subpath, the cloud server, openai)", () => {
    expect(compiled.code, tail(compiled)).toBe(0)
  })
})

describe("1. the reference cloud tier labels real mail", () => {
  it("talks to the official openai client: models, a JSON-schema answer with logprobs, its error classes", async () => {
    const printed = await runApp("openai-client.js", [data])
    expect(printed.models).toEqual(["message-triage-teacher"])
    for (const kind of ["spam", "ham"] as const) {
      const answer = printed[kind]
      expect(answer.answer.label, kind).toBe(answer.truth)
      expect(answer.answer.confidence).toBeGreaterThan(0.5)
      expect(answer.usage.prompt_tokens).toBeGreaterThan(0)
      expect(answer.usage.total_tokens).toBe(
        answer.usage.prompt_tokens + answer.usage.completion_tokens,
      )
      // The label's first token, with both labels among its alternatives.
      expect(answer.topLogprobs).toHaveLength(1)
      expect(answer.topLogprobs[0].map((t: { token: string }) => t.token).sort()).toEqual([
        "ham",
        "spam",
      ])
    }
    expect(printed.emptyMessage.ok).toBe(true)
    expect(printed.wrongKey).toMatchObject({ ok: false, authentication: true, status: 401 })
    expect(printed.unknownModel).toMatchObject({ ok: false, notFound: true, status: 404 })
    expect(printed.stream).toMatchObject({ ok: false, badRequest: true, status: 400 })
  })

  let first: any
  it("labels 96 messages with OpenAiTeacher + LabelJob, caching each soft label on disk", async () => {
    first = await runApp("label.js", [data, work, "first"])
    expect(first.items).toBe(labelled.length)
    expect(first.summary).toMatchObject({
      total: labelled.length,
      labelled: labelled.length,
      cached: 0,
      failed: [],
      malformed: 0,
    })
    expect(first.summary.promptTokens).toBeGreaterThan(0)
    expect(first.entries).toHaveLength(labelled.length)
    const truth = new Map(labelled.map((m) => [m.id, m.label]))
    let right = 0
    for (const entry of first.entries) {
      // Soft labels from the token probabilities at the label: a distribution, not a one-hot.
      expect(entry.source).toBe("logprobs")
      expect(entry.probabilities).toHaveLength(2)
      expect(entry.probabilities[0] + entry.probabilities[1]).toBeCloseTo(1, 6)
      if (entry.label === truth.get(entry.id)) right++
    }
    expect(right / labelled.length).toBeGreaterThanOrEqual(0.95)
    // The server's own request log: one chat completion per message, all answered.
    const log = (await readFile(join(work, "requests-first.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line))
    expect(log.filter((e) => e.path === "/v1/chat/completions")).toHaveLength(labelled.length)
    expect(log.filter((e) => e.status !== 200)).toEqual([])
  })

  it("asks nothing on a second run (a new process, a new server): every answer comes from the cache", async () => {
    expect(first, "the first run").toBeDefined()
    const second = await runApp("label.js", [data, work, "second"])
    expect(second.teacher).toBe(first.teacher)
    expect(second.summary).toMatchObject({
      total: labelled.length,
      labelled: 0,
      cached: labelled.length,
      failed: [],
      promptTokens: 0,
    })
    expect(second.entries).toEqual(first.entries)
    expect(await readFile(join(work, "requests-second.jsonl"), "utf8")).toBe("")
  })
})

describe("2. a student trained on the soft labels", () => {
  it("is written with its reports, and onnxruntime-node runs model.onnx as Classifier does, within 1e-5", async () => {
    const printed = await runApp("train.js", [data, work])
    expect(printed.trained + printed.validated).toBe(labelled.length)
    expect(printed.sameBytesTwice).toBe(true)
    expect(printed.writtenBytesAreTheModel).toBe(true)
    expect(printed.files).toEqual(["model.onnx", "report.html", "report.json"])
    expect(printed.card.labels).toEqual(["ham", "spam"])
    expect(printed.card.threshold).toBeGreaterThanOrEqual(0.5)
    expect(printed.card.threshold).toBeLessThanOrEqual(1)
    expect(printed.card.featurizer.kind).toBe("hashed-ngrams")
    expect(printed.onnx.inputs).toEqual(["indices", "values"])
    expect(printed.onnx.outputs).toEqual(["logits", "probabilities"])
    expect(printed.compared).toBe(labelled.length + 3)
    expect(printed.worstDifference).toBeLessThan(1e-5)
    // 72 messages make a weak student, but a student.
    expect(printed.accuracy).toBeGreaterThanOrEqual(0.8)
    expect(printed.agreement).toBeGreaterThanOrEqual(0.8)
  })
})

describe("3. triage on the device with the committed student", () => {
  let printed: any
  beforeAll(async () => {
    printed = await runApp("triage.js", [data])
  })

  it("is the file the package names, and its card holds the labels, threshold and featurizer config", () => {
    expect(printed.file).toEqual({ sha256: printed.package.sha256, bytes: printed.package.bytes })
    expect(printed.card.labels).toEqual(printed.package.labels)
    expect(printed.card.threshold).toBe(printed.package.threshold)
    expect(printed.card.featurizerProblem).toBeNull()
    expect(printed.card.featurizer.kind).toBe("hashed-ngrams")
    expect(printed.card.hasHistogram).toBe(true)
  })

  it("labels real held-out spam and ham right, the same in onnxruntime-node as in TypeScript", () => {
    const results: Array<{ id: string; truth: string; label: string; escalate: boolean }> =
      printed.results
    expect(results.map((r) => r.id)).toEqual(heldout.map((m) => m.id))
    const wrong = results.filter((r) => r.label !== r.truth)
    expect(wrong.length / results.length, JSON.stringify(wrong)).toBeLessThanOrEqual(0.05)
    // What it is sure of (not escalated to the cloud) it gets right.
    expect(wrong.filter((r) => !r.escalate)).toEqual([])
    expect(printed.worstDifference).toBeLessThan(1e-5)
  })
})

describe("4. odd and hostile inputs", () => {
  describe("texts: a result or a typed error, never a crash", () => {
    let printed: any
    beforeAll(async () => {
      printed = await runApp("hostile.js", ["texts", data, work])
    })
    const each = (path: string) =>
      Object.entries<any>(printed.results).map(([name, result]) => ({ name, ...result[path] }))

    it("covers the inputs users send", () => {
      expect(printed.names).toEqual(
        expect.arrayContaining([
          "empty",
          "a 5 MB message",
          "binary garbage (1 MB, as latin1)",
          "non-UTF-8 bytes read as UTF-8",
          "only headers",
          'plain text starting with "From "',
          'plain text starting with "word:"',
          "deeply nested brackets",
          "unicode in many scripts",
          "emoji",
          "lone surrogates",
        ]),
      )
    })

    it("featurizer + onnxruntime-node (the device path) gives a probability distribution for each", () => {
      expect(each("device").filter((r) => !(r.ok && r.distribution))).toEqual([])
    })

    it("Classifier gives the same, within 1e-5", () => {
      expect(each("typescript").filter((r) => !(r.ok && r.distribution))).toEqual([])
      const apart = Object.entries<any>(printed.results).filter(([, r]) => !(r.difference < 1e-5))
      expect(apart).toEqual([])
    })

    it("the teacher on the cloud tier answers each, or refuses a body over its 1 MiB limit (413, TeacherRejectedError)", () => {
      const results = each("teacher")
      expect(results.filter((r) => r.ok && !r.distribution)).toEqual([])
      expect(
        results.filter(
          (r) =>
            !r.ok && !(r.error._tag === "TeacherRejectedError" && / 413 /.test(r.error.message)),
        ),
      ).toEqual([])
      expect(results.find((r) => r.name === "a 5 MB message")?.ok).toBe(false)
      const small = Object.entries<any>(printed.results).filter(([, r]) => r.length < 100_000)
      expect(small.filter(([, r]) => !r.teacher.ok)).toEqual([])
    })

    it("a LabelJob over all of them finishes, with the refused ones counted as failed", () => {
      expect(printed.job.ok, JSON.stringify(printed.job)).toBe(true)
      const summary = printed.job.value
      expect(summary.total).toBe(printed.names.length)
      expect(summary.labelled + summary.failed.length).toBe(summary.total)
      expect(summary.failed.filter((f: any) => f.error._tag === null)).toEqual([])
      expect(summary.failed.map((f: any) => f.id)).toContain("a 5 MB message")
    })

    it("a real mail's headers alone still give features (its Subject and From)", () => {
      expect(printed.results["only headers"].device.features).toBeGreaterThan(0)
      expect(printed.results["only headers, CRLF"].device.features).toBeGreaterThan(0)
    })

    // Plain text whose first word ends in a colon, or which starts with
    // "From ", is read as a header block with no body: every word dropped,
    // zero features, and the model answers its bias (0.494 / 0.506) whatever
    // the text says.
    it.fails('plain text starting with "word:" is read as text, not as a header (now: 0 features)', () => {
      expect(printed.results['plain text starting with "word:"'].device.features).toBeGreaterThan(0)
    })
    it.fails('plain text starting with "From " is read as text, not as a header (now: 0 features)', () => {
      expect(printed.results['plain text starting with "From "'].device.features).toBeGreaterThan(0)
    })
    it.fails('plain text starting with a URL ("https:") is read as text, not as a header (now: 0 features)', () => {
      expect(printed.results["plain text starting with a URL"].device.features).toBeGreaterThan(0)
    })
  })

  describe("data files: typed errors naming the line", () => {
    let results: Record<string, Record<string, Attempt<number>>>
    beforeAll(async () => {
      results = (await runApp("hostile.js", ["data", data, work])).results
    })
    const readers = ["textRecords", "evaluateModel", "distillFiles"] as const

    it.each([
      ["invalid JSON on line 3", 3],
      ['"text" a number on line 2', 2],
      ['"label" not a label on line 4', 4],
      ["soft labels out of range on line 2", 2],
      ["null on line 2", 2],
      ["an array on line 3", 3],
      ["NUL bytes on line 2", 2],
      ["the last line (2) cut short", 2],
      ["CRLF, invalid JSON on line 3", 3],
      ["binary garbage", 1],
      ["a blank line 2, then invalid JSON on line 3", 3],
    ])("%s: DataError at line %i in TextRecords, EvaluateModel and distillFiles", (name, line) => {
      for (const reader of readers) {
        const outcome = results[name]![reader]!
        expect(outcome.ok, `${reader}: ${JSON.stringify(outcome)}`).toBe(false)
        if (outcome.ok) continue
        expect(outcome.error, reader).toMatchObject({ _tag: "DataError", line })
        expect(outcome.error.message, reader).toContain(`.jsonl:${line}:`)
      }
    })

    it("odd but valid data is read: non-UTF-8 bytes in a text, a 5 MB line", () => {
      expect(results["non-UTF-8 bytes in a text"]!.textRecords).toEqual({ ok: true, value: 3 })
      expect(results["a 5 MB line"]!.textRecords).toEqual({ ok: true, value: 2 })
      for (const reader of readers) {
        expect(results["non-UTF-8 bytes in a text"]![reader]!.ok, reader).toBe(true)
        expect(results["a 5 MB line"]![reader]!.ok, reader).toBe(true)
      }
    })

    it("an empty file holds no records; evaluating or training on it is a typed error", () => {
      const empty = results["empty file"]!
      expect(empty.textRecords).toEqual({ ok: true, value: 0 })
      expect(empty.evaluateModel).toMatchObject({
        ok: false,
        error: { _tag: "EvaluationInputError" },
      })
      expect(empty.distillFiles).toMatchObject({ ok: false, error: { _tag: "TrainingError" } })
    })

    it("a file that is not there is a DataError at line 0", () => {
      for (const reader of readers) {
        expect(results["a file that is not there"]![reader], reader).toMatchObject({
          ok: false,
          error: { _tag: "DataError", line: 0 },
        })
      }
    })

    it("a UTF-8 byte-order mark is read, or is a DataError at line 1", () => {
      for (const reader of readers) {
        const outcome = results["a UTF-8 byte-order mark"]![reader]!
        if (!outcome.ok) expect(outcome.error, reader).toMatchObject({ _tag: "DataError", line: 1 })
      }
    })

    it.fails("a directory given as the data file is a DataError at line 0 (now: an untyped EISDIR Error)", () => {
      for (const reader of readers) {
        expect(results["a directory"]![reader], reader).toMatchObject({
          ok: false,
          error: { _tag: "DataError", line: 0 },
        })
      }
    })
  })

  describe("model files: a ModelFormatError for a corrupt model", () => {
    let results: Record<string, any>
    beforeAll(async () => {
      results = (await runApp("hostile.js", ["models", data, work])).results
    })

    it.each([
      "an empty file",
      "binary garbage",
      "a text file",
      "zeros the size of the model",
      "the model cut in half",
      "the model without its last 10 bytes",
    ])("%s: ModelFormatError from Classifier.load and EvaluateModel", (name) => {
      const result = results[name]
      expect(result.card.problem).toEqual(expect.any(String))
      expect(result.classifier).toMatchObject({ ok: false, error: { _tag: "ModelFormatError" } })
      expect(result.evaluateModel).toMatchObject({ ok: false, error: { _tag: "ModelFormatError" } })
    })

    it("(the premise of the next three) corruption that leaves the card readable", () => {
      for (const name of SILENT_CORRUPTIONS) {
        expect(results[name].card.labels, name).toEqual(expect.any(Array))
      }
    })

    // Corruption the protobuf decodes: the card reads, the weights do not
    // fit it (or are not numbers), and Classifier.load accepts the file.
    // classify() then gives NaN, so `max(p) < threshold` is false and a
    // device never escalates; EvaluateModel blames the data instead
    // (EvaluationInputError "student[0] is NaN", or DataError).
    for (const name of SILENT_CORRUPTIONS) {
      it.fails(`${name}: ModelFormatError from Classifier.load and EvaluateModel (now: loads, classify() gives NaN)`, () => {
        expect(results[name].classifier).toMatchObject({
          ok: false,
          error: { _tag: "ModelFormatError" },
        })
        expect(results[name].evaluateModel).toMatchObject({
          ok: false,
          error: { _tag: "ModelFormatError" },
        })
      })
    }
  })

  describe("teachers that fail", () => {
    let printed: any
    beforeAll(async () => {
      printed = await runApp("hostile.js", ["teachers", data, work])
    })

    it.each(["is down", "answers HTML", "answers 500", "cuts the answer short", "never answers"])(
      "a teacher endpoint that %s: the job finishes, every item counted as failed (TeacherRequestError)",
      (name) => {
        const job = printed.results[name]
        expect(job.ok, JSON.stringify(job)).toBe(true)
        expect(job.value).toMatchObject({ total: 3, labelled: 0, cached: 0 })
        expect(job.value.failed.map((f: any) => f.error._tag)).toEqual([
          "TeacherRequestError",
          "TeacherRequestError",
          "TeacherRequestError",
        ])
      },
    )

    it("caches no failure, so a run against a working teacher asks for every item", () => {
      expect(printed.cachedAfterFailures).toBe(0)
      expect(printed.recovered).toMatchObject({
        ok: true,
        value: { total: 3, labelled: 3, failed: [] },
      })
    })
  })

  describe("training data in code", () => {
    let results: Record<string, Attempt<number>>
    beforeAll(async () => {
      results = (await runApp("hostile.js", ["training", data, work])).results
    })

    it.each([
      ["no training examples", "TrainingError"],
      ["a target of the wrong length", "TrainingError"],
      ["a NaN target", "TrainingError"],
      ["a negative target", "TrainingError"],
      ["no validation items", "EvaluationInputError"],
      ["a validation truth that is not a label", "EvaluationInputError"],
      ["a featurizer config with 1000 buckets", "FeaturizerConfigError"],
    ])("%s: %s", (name, tag) => {
      expect(results[name]).toMatchObject({ ok: false, error: { _tag: tag } })
    })

    it.fails("a training text that is not a string (a number, null: plain JavaScript) is a TrainingError (now: TypeError from text.slice)", () => {
      for (const name of ["a text that is a number", "a text that is null"]) {
        expect(results[name], name).toMatchObject({ ok: false, error: { _tag: "TrainingError" } })
      }
    })
  })

  // The cloud tier counts prompt tokens with gpt-tokenizer's encodeChat,
  // whose BPE is quadratic in the length of one pre-token: a single long
  // word well under the 1 MiB body limit holds the server's event loop for
  // seconds (100 000 characters ≈ 5 s, 400 000 ≈ 95 s on this machine).
  it.fails("the cloud tier answers a message of one 150 000-character word in under 3 s (now ≈ 12 s)", async () => {
    const printed = await runApp("hostile.js", ["long-word", data, work])
    expect(printed.outcome.ok).toBe(true)
    expect(printed.ms).toBeLessThan(3_000)
  })
})

describe("5. memory does not grow with the input's length", () => {
  interface Row {
    readonly kind: string
    readonly length: number
    readonly features: number
    readonly allocated: number
    readonly retained: number
  }
  let rows: ReadonlyArray<Row>
  beforeAll(async () => {
    rows = (await runApp("memory.js", ["sizes", data], ["--expose-gc"])).rows
  })
  const of = (kind: string) => rows.filter((r) => r.kind === kind)

  it("measures four kinds of message from 10 KB to 10 MB", () => {
    expect([...new Set(rows.map((r) => r.kind))]).toEqual(["mail", "plain", "unicode", "headers"])
    for (const kind of ["mail", "plain", "unicode", "headers"]) {
      expect(of(kind).map((r) => r.length)).toEqual([10 * 1024, 100 * 1024, MB, 10 * MB])
      // Only the head of the body is read: the features do not change with the length.
      expect(new Set(of(kind).map((r) => r.features)).size, kind).toBe(1)
    }
  })

  it("keeps nothing: the heap after gc stays within 4 MB of the baseline, at every length", () => {
    const over = rows.filter((r) => r.retained > 4 * MB)
    expect(over).toEqual([])
  })

  // The bytes one featurize call allocates (collected or not), sampled by
  // V8's heap profiler: a long message must cost no more than a short one.
  // About 0.2 MB a call; the bound is 4 MB.
  for (const kind of ["mail", "plain", "unicode"]) {
    it(`allocates a bounded amount per call for a ${kind} message, from 10 KB to 10 MB`, () => {
      expect(of(kind).filter((r) => r.allocated > 4 * MB)).toEqual([])
    })
  }
  // A header block is split into lines and its kept fields tokenized whole:
  // a 10 MB header allocates ≈ 52 MB (1 MB: ≈ 5 MB), where a 10 MB body
  // allocates ≈ 0.2 MB.
  it.fails("allocates a bounded amount per call for a message of only headers, from 10 KB to 10 MB (now: ≈ 5 bytes per byte of header)", () => {
    expect(of("headers").filter((r) => r.allocated > 4 * MB)).toEqual([])
  })

  it("streams 4000 distinct messages from a JSONL file with the heap after gc flat", async () => {
    const printed = await runApp("memory.js", ["stream", data, work], ["--expose-gc"])
    expect(printed.messages).toBe(4000)
    expect(printed.fileBytes).toBeGreaterThan(30 * MB)
    // Classified as it streams: the held-out mail is 40 % spam.
    expect(Math.abs(printed.spam / printed.messages - 0.4)).toBeLessThan(0.05)
    const heaps: Array<number> = printed.samples.map((s: { heap: number }) => s.heap)
    expect(heaps).toHaveLength(8)
    // The featurizer's word cache fills and empties (≈ 3 MB): generous slack, no trend.
    expect(Math.max(...heaps) - heaps[0]!).toBeLessThan(12 * MB)
    expect(heaps.at(-1)! - heaps[0]!).toBeLessThan(8 * MB)
  })
})
