/**
 * Hostile input to `edgeline distill …`: each refused with exit code 2 and
 * one line on stderr naming the file (and line) and what to do, no stack
 * trace; usage errors with the synopsis; failed writes with exit code 1;
 * outputs written whole or not at all.
 */
import { createHash } from "node:crypto"
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { edgeline } from "./support/edgeline.js"

let dir: string
const at = (name: string) => join(dir, name)
const committed = createRequire(import.meta.url).resolve(
  "@edgeline/model-message-triage/model.onnx",
)

const line = (row: unknown) => `${JSON.stringify(row)}\n`
const HAM = "Subject: lunch\n\nShall we meet at noon by the fountain?"
const SPAM = "Subject: WIN NOW\n\nYou have won a FREE cruise, click here to claim your prize!!!"

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "edgeline-distill-errors-"))
  const files: Record<string, string> = {
    "good.jsonl": line({ text: HAM, label: "ham" }) + line({ text: SPAM, label: "spam" }),
    "not-json.jsonl": `${line({ text: HAM, label: "ham" })}{"text": "unterminated\n`,
    "wrong-label.jsonl": line({ text: HAM, label: "ham" }) + line({ text: SPAM, label: "junk" }),
    "empty-text.jsonl": line({ text: HAM, label: "ham" }) + line({ text: "   ", label: "ham" }),
    "no-text.jsonl": line({ body: HAM, label: "ham" }),
    "text-number.jsonl": line({ text: 42, label: "ham" }),
    "array.jsonl": line([HAM, "ham"]),
    "no-label.jsonl": line({ text: HAM }),
    "empty.jsonl": "\n\n",
    "soft-unknown.jsonl": line({ text: HAM, soft_labels: { ham: 0.5, junk: 0.5 } }),
    "duplicate-ids.jsonl": line({ id: "m1", text: HAM }) + line({ id: "m1", text: SPAM }),
    "cache-corrupt.jsonl": "this is not a labelling cache\n{}\n",
    "random.onnx": "not a model at all, just text",
  }
  for (const [name, text] of Object.entries(files)) await writeFile(at(name), text)
  await mkdir(at("no-model"))
  await writeFile(at("no-model/notes.txt"), "nothing here")
  await mkdir(at("other-name"))
  await writeFile(at("other-name/student.onnx"), await readFile(committed))
  await mkdir(at("corrupt"))
  // The real student, cut short: the bytes of a download that stopped part-way.
  await writeFile(at("corrupt/model.onnx"), (await readFile(committed)).subarray(0, 40_000))
  await writeFile(at("a-file"), "not a directory")
})

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true })
})

const oneLine = async (args: ReadonlyArray<string>, says: string | RegExp, code = 2) => {
  const result = await edgeline(["distill", ...args])
  expect(result.stdout).toBe("")
  expect(result.stderr.trim().split("\n"), result.stderr).toHaveLength(1)
  expect(result.stderr).not.toMatch(/\n\s+at /)
  if (typeof says === "string") expect(result.stderr.trim()).toBe(`edgeline: ${says}`)
  else expect(result.stderr).toMatch(says)
  expect(result.code).toBe(code)
}

describe("bad input: exit code 2, one line naming the file and the line", () => {
  const cases: Array<[string, () => Array<string>, () => string | RegExp]> = [
    [
      "a missing file",
      () => ["eval", "--data", at("missing.jsonl")],
      () => `${at("missing.jsonl")}: no such file (--data)`,
    ],
    [
      "a directory as the data",
      () => ["eval", "--data", dir],
      () => `${dir}: is a directory, not a JSONL file`,
    ],
    [
      "a line that is not JSON",
      () => ["eval", "--data", at("not-json.jsonl")],
      () =>
        `${at("not-json.jsonl")}:2: not valid JSON; each line is one JSON object, e.g. {"text": "<the message>", "label": "ham" or "spam"}`,
    ],
    [
      "a label that is not the model's",
      () => ["eval", "--data", at("wrong-label.jsonl")],
      () => `${at("wrong-label.jsonl")}:2: "label" must be one of "ham", "spam", got "junk"`,
    ],
    [
      "an empty text",
      () => ["eval", "--data", at("empty-text.jsonl")],
      () => `${at("empty-text.jsonl")}:2: "text" is empty; every line needs its message`,
    ],
    [
      "no text",
      () => ["eval", "--data", at("no-text.jsonl")],
      () =>
        new RegExp(
          `^edgeline: ${at("no-text.jsonl")}:1: "text" must be a string, got nothing; e\\.g\\. \\{"text"`,
        ),
    ],
    [
      "a text that is a number",
      () => [
        "train",
        "--data",
        at("text-number.jsonl"),
        "--validation",
        at("good.jsonl"),
        "--out",
        at("s"),
      ],
      () =>
        new RegExp(`^edgeline: ${at("text-number.jsonl")}:1: "text" must be a string, got number`),
    ],
    [
      "a line that is an array",
      () => ["eval", "--data", at("array.jsonl")],
      () => new RegExp(`^edgeline: ${at("array.jsonl")}:1: not a JSON object; e\\.g\\.`),
    ],
    [
      "eval without labels to score against",
      () => ["eval", "--data", at("no-label.jsonl")],
      () => `${at("no-label.jsonl")}:1: no "label": one of "ham", "spam"`,
    ],
    [
      "train without a label or soft labels to learn from",
      () => [
        "train",
        "--data",
        at("no-label.jsonl"),
        "--validation",
        at("good.jsonl"),
        "--out",
        at("s"),
      ],
      () =>
        `${at("no-label.jsonl")}:1: no "label" or "soft_labels" to learn from; e.g. {"text": "<the message>", "label": "ham" or "spam"}`,
    ],
    [
      "soft labels naming an unknown label",
      () => [
        "train",
        "--data",
        at("good.jsonl"),
        "--validation",
        at("soft-unknown.jsonl"),
        "--out",
        at("s"),
      ],
      () =>
        `${at("soft-unknown.jsonl")}:1: "soft_labels" has "junk", which is not one of the labels`,
    ],
    [
      "a file with no messages",
      () => ["eval", "--data", at("empty.jsonl")],
      () => `${at("empty.jsonl")}: no messages (the file is empty)`,
    ],
    [
      "a model directory without model.onnx",
      () => ["eval", "--model", at("no-model"), "--data", at("good.jsonl")],
      () =>
        `${at("no-model")}: no model.onnx in this directory; give the directory \`edgeline distill train --out\` wrote, or an .onnx file`,
    ],
    [
      "a model directory whose model has another name",
      () => ["eval", "--model", at("other-name"), "--data", at("good.jsonl")],
      () =>
        `${at("other-name")}: no model.onnx in this directory; give the directory \`edgeline distill train --out\` wrote, or the file itself (--model ${at("other-name/student.onnx")})`,
    ],
    [
      "a missing model",
      () => ["report", "--model", at("nowhere"), "--data", at("good.jsonl"), "--out", at("r")],
      () => `${at("nowhere")}: no such file or directory (--model)`,
    ],
    [
      "a corrupt model.onnx (cut short)",
      () => ["eval", "--model", at("corrupt"), "--data", at("good.jsonl")],
      () =>
        new RegExp(
          `^edgeline: ${at("corrupt/model.onnx")}: not a model @edgeline/distill can read: not an ONNX model: `,
        ),
    ],
    [
      "a file that is no model at all",
      () => ["eval", "--model", at("random.onnx"), "--data", at("good.jsonl")],
      () => new RegExp(`^edgeline: ${at("random.onnx")}: not a model @edgeline/distill can read`),
    ],
    [
      "duplicate ids in the data to label",
      () => [
        "label",
        "--data",
        at("duplicate-ids.jsonl"),
        "--cloud",
        "http://127.0.0.1:1/v1",
        "--model",
        "m",
        "--cache",
        at("labels.jsonl"),
      ],
      () => `${at("duplicate-ids.jsonl")}:2: "id" "m1" again (first on line 1); ids must be unique`,
    ],
    [
      "a labelling cache that is not one",
      () => [
        "export-jsonl",
        "--data",
        at("good.jsonl"),
        "--cache",
        at("cache-corrupt.jsonl"),
        "--out",
        at("x.jsonl"),
      ],
      () =>
        `${at("cache-corrupt.jsonl")}:1 is not JSON; the labelling cache holds one JSON object per line (was the file edited or written by something else?)`,
    ],
    [
      "a missing labelling cache",
      () => [
        "export-jsonl",
        "--data",
        at("good.jsonl"),
        "--cache",
        at("none.jsonl"),
        "--out",
        at("x.jsonl"),
      ],
      () => `${at("none.jsonl")}: no such file (--cache)`,
    ],
  ]
  for (const [name, args, says] of cases) {
    it(name, () => oneLine(args(), says()))
  }

  it("a labelling cache that holds no answer for the data", async () => {
    const cache = at("other-cache.jsonl")
    await writeFile(
      cache,
      line({
        key: "0".repeat(64),
        id: "someone-else",
        teacher: "t",
        labels: ["ham", "spam"],
        label: "ham",
        probabilities: [0.9, 0.1],
        source: "json",
        usage: { promptTokens: 1, completionTokens: 1 },
        time: "2026-01-01T00:00:00.000Z",
      }),
    )
    const out = at("nothing.jsonl")
    await oneLine(
      ["export-jsonl", "--data", at("good.jsonl"), "--cache", cache, "--out", out],
      `${cache} has no answer for any message of ${at("good.jsonl")}; label them first with \`edgeline distill label --data ${at("good.jsonl")} --cache ${cache} …\``,
    )
    expect((await readdir(dir)).filter((f) => f.includes("nothing"))).toEqual([])
  })
})

describe("export-jsonl: a cache holding several teachers' answers", () => {
  it("asks which teacher to take; --teacher takes that one", async () => {
    const cache = at("two-teachers.jsonl")
    const labels = ["ham", "spam"]
    const entry = (teacher: string, text: string, id: string, spam: number) =>
      line({
        key: createHash("sha256")
          .update(JSON.stringify([teacher, labels, text]))
          .digest("hex"),
        id,
        teacher,
        labels,
        label: spam > 0.5 ? "spam" : "ham",
        probabilities: [1 - spam, spam],
        source: "json",
        usage: { promptTokens: 10, completionTokens: 2 },
        time: "2026-01-01T00:00:00.000Z",
      })
    await writeFile(
      cache,
      entry("teacher-a", HAM, "1", 0.1) +
        entry("teacher-a", SPAM, "2", 0.9) +
        entry("teacher-b", HAM, "1", 0.2) +
        entry("teacher-b", SPAM, "2", 0.7),
    )
    const out = at("by-teacher.jsonl")
    await oneLine(
      ["export-jsonl", "--data", at("good.jsonl"), "--cache", cache, "--out", out],
      `${cache} holds answers of several teachers (teacher-a, teacher-b): say which one to take with --teacher <id>`,
    )
    const run = await edgeline([
      "distill",
      "export-jsonl",
      "--data",
      at("good.jsonl"),
      "--cache",
      cache,
      "--out",
      out,
      "--teacher",
      "teacher-b",
    ])
    expect(run.code, run.stderr).toBe(0)
    const rows = (await readFile(out, "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
    expect(rows.map((r) => [r.teacher, r.label, r.soft_labels.spam])).toEqual([
      ["teacher-b", "ham", 0.2],
      ["teacher-b", "spam", 0.7],
    ])
  })
})

describe("usage errors: exit code 2, the message, then the synopsis", () => {
  it.each([
    [["distill"], "distill needs a subcommand: label, export-jsonl, train, eval, report"],
    [["distill", "distil"], 'unknown distill subcommand "distil"'],
    [["distill", "eval"], "distill eval needs --data f.jsonl (one JSON message per line)"],
    [["distill", "eval", "--data", "x.jsonl", "extra"], "unexpected arguments: extra"],
    [["distill", "eval", "--data", "x.jsonl", "--bogus"], "unknown option --bogus"],
    [
      ["distill", "eval", "--data", "x.jsonl", "--cloud", "u"],
      "distill eval has no option --cloud",
    ],
    [
      ["distill", "train", "--data", "x.jsonl", "--out", "s"],
      "distill train needs --validation f.jsonl",
    ],
    [
      ["distill", "label", "--data", "x.jsonl", "--cloud", "http://h/v1", "--cache", "c"],
      "distill label needs --model name (the teacher model)",
    ],
    [
      [
        "distill",
        "label",
        "--data",
        "x",
        "--cloud",
        "localhost:8080",
        "--model",
        "m",
        "--cache",
        "c",
      ],
      '--cloud must be the http(s) URL of an OpenAI-compatible API, e.g. http://127.0.0.1:8080/v1, got "localhost:8080"',
    ],
    [
      [
        "distill",
        "label",
        "--data",
        "x",
        "--cloud",
        "http://h/v1",
        "--model",
        "m",
        "--cache",
        "c",
        "--labels",
        "spam",
      ],
      "--labels must be two or more distinct labels separated by commas",
    ],
    [
      [
        "distill",
        "label",
        "--data",
        "x",
        "--cloud",
        "http://h/v1",
        "--model",
        "m",
        "--cache",
        "c",
        "--labels",
        "a,b,a",
      ],
      '--labels must be two or more distinct labels separated by commas, e.g. ham,spam, got "a,b,a" ("a" twice)',
    ],
    [
      [
        "distill",
        "label",
        "--data",
        "x",
        "--cloud",
        "http://h/v1",
        "--model",
        "m",
        "--cache",
        "c",
        "--pricing",
        "0.15",
      ],
      "--pricing must be two numbers ≥ 0",
    ],
    [
      [
        "distill",
        "label",
        "--data",
        "x",
        "--cloud",
        "http://h/v1",
        "--model",
        "m",
        "--cache",
        "c",
        "--concurrency",
        "0",
      ],
      '--concurrency must be a number from 1 to 1000, got "0"',
    ],
    [
      [
        "distill",
        "export-jsonl",
        "--data",
        "x",
        "--cache",
        "c",
        "--out",
        "o",
        "--validation-share",
        "1",
      ],
      "--validation-share must be between 0 and 1 (exclusive)",
    ],
    [
      ["distill", "export-jsonl", "--data", "mail.jsonl", "--cache", "c", "--out", "./mail.jsonl"],
      "--out ./mail.jsonl is also --data: it would overwrite it",
    ],
    [
      [
        "distill",
        "label",
        "--data",
        "m.jsonl",
        "--cloud",
        "http://h/v1",
        "--model",
        "m",
        "--cache",
        "m.jsonl",
      ],
      "--cache m.jsonl is also --data: it would overwrite it",
    ],
    [
      ["distill", "train", "--data", "x", "--validation", "v", "--out", "o", "--epochs", "2.5"],
      '--epochs must be a whole number from 1 to 10000, got "2.5"',
    ],
  ])("%j", async (args, says) => {
    const { code, stdout, stderr } = await edgeline(args)
    expect(code).toBe(2)
    expect(stdout).toBe("")
    expect(stderr.split("\n")[0]).toContain(`edgeline: ${says}`)
    expect(stderr).toContain("usage: edgeline voice-gate")
    expect(stderr).toContain("edgeline distill eval [--model dir] --data f.jsonl [--json]")
    expect(stderr).toContain("edgeline --help describes every option")
  })

  it("--help describes every distill command and option", async () => {
    const { code, stdout } = await edgeline(["--help"])
    expect(code).toBe(0)
    for (const word of [
      "distill label",
      "distill export-jsonl",
      "distill train",
      "distill eval",
      "distill report",
      "--cloud",
      "--cache",
      "--api-key",
      "--labels",
      "--concurrency",
      "--rps",
      "--max-attempts",
      "--pricing",
      "--validation-share",
      "--teacher",
      "--validation",
      "--epochs",
      "--seed",
      "OPENAI_API_KEY",
    ]) {
      expect(stdout).toContain(word)
    }
  })
})

describe("failed writes: exit code 1, one line; outputs whole or not at all", () => {
  it("export-jsonl --out in a missing directory fails before any work", () =>
    oneLine(
      [
        "export-jsonl",
        "--data",
        at("good.jsonl"),
        "--cache",
        at("cache-corrupt.jsonl"),
        "--out",
        at("no/such/dir/x.jsonl"),
      ],
      `cannot write ${at("no/such/dir/x.jsonl")}: its directory does not exist`,
      1,
    ))

  it("label --cache under a file fails before any request", () =>
    oneLine(
      [
        "label",
        "--data",
        at("good.jsonl"),
        "--cloud",
        "http://127.0.0.1:1/v1",
        "--model",
        "m",
        "--cache",
        join(at("a-file"), "labels.jsonl"),
      ],
      `cannot write ${join(at("a-file"), "labels.jsonl")}: a part of its path is a file, not a directory`,
      1,
    ))

  it("train --out that is a file", () =>
    oneLine(
      [
        "train",
        "--data",
        at("good.jsonl"),
        "--validation",
        at("good.jsonl"),
        "--out",
        at("a-file"),
      ],
      `cannot write ${at("a-file")}: it is a file, not a directory`,
      1,
    ))

  it("report --out under a file", () =>
    oneLine(
      ["report", "--data", at("good.jsonl"), "--out", join(at("a-file"), "report")],
      `cannot write ${at("a-file")}/report: a part of its path is a file, not a directory`,
      1,
    ))

  it("export-jsonl that fails keeps an existing --out and leaves no partial file", async () => {
    const out = at("kept.jsonl")
    await writeFile(out, "an earlier export\n")
    await oneLine(
      [
        "export-jsonl",
        "--data",
        at("good.jsonl"),
        "--cache",
        at("cache-corrupt.jsonl"),
        "--out",
        out,
      ],
      /is not JSON; the labelling cache/,
    )
    expect(await readFile(out, "utf8")).toBe("an earlier export\n")
    expect((await readdir(dir)).filter((f) => f.includes("partial"))).toEqual([])
  })
})
