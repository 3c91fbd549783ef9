/**
 * A user's Node app, outside the workspace, with our tarballs installed in
 * each layout users have: npm's hoisted tree, npm's linked strategy and
 * pnpm's isolated store. The app depends on core, recipes, runtime-node and
 * the CLI, never on the model packages: recipes and the CLI must bring them
 * and find them.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest"
import { makeNodeApp } from "../support/app.js"
import { exec, type Result, tail } from "../support/exec.js"
import { install, LAYOUTS } from "../support/install.js"
import { fixtureWav } from "../support/paths.js"
import { makeTempDir, removeTempDir } from "../support/temp.js"
import { copiesOf } from "../support/tree.js"
import { tsc } from "../support/typecheck.js"

const tarballs = inject("tarballs")
const cli = tarballs.find((t) => t.name === "@edgeline/cli")!

interface Segment {
  readonly start: number
  readonly end: number
}

/** The app's one line of JSON (fixtures/node-app/src/main.ts). */
interface Printed {
  readonly promise: ReadonlyArray<Segment>
  readonly effect: ReadonlyArray<Segment>
  readonly worker: ReadonlyArray<Segment>
}

let temp: string
/** A working directory with nothing in it: no package.json, no node_modules. */
let elsewhere: string
beforeAll(async () => {
  temp = await makeTempDir("node-app")
  elsewhere = join(temp, "elsewhere")
  await mkdir(elsewhere)
  await writeFile(
    join(elsewhere, "mail.jsonl"),
    [
      { text: "Subject: lunch\n\nShall we meet at noon by the fountain?", label: "ham" },
      {
        text: "Subject: WIN NOW\n\nYou have won a FREE cruise! Click here to claim",
        label: "spam",
      },
    ]
      .map((row) => `${JSON.stringify(row)}\n`)
      .join(""),
  )
})
afterAll(() => removeTempDir(temp))

describe.each(LAYOUTS)("a Node app installed %s", (layout) => {
  let app: string
  let compiled: Result
  beforeAll(async () => {
    app = join(temp, layout)
    await makeNodeApp(app, tarballs, layout)
    await install(app, layout)
    // Emits dist/ even when it finds errors: the run below tests the JS regardless.
    compiled = await tsc(app)
  })
  // Each app is about 360 MB (onnxruntime-node ships every platform's binaries).
  afterAll(() => removeTempDir(app))

  it("has exactly one copy of effect", () => {
    expect(copiesOf(app, "effect")).toHaveLength(1)
  })

  it("has no onnxruntime-web", () => {
    expect(copiesOf(app, "onnxruntime-web")).toEqual([])
  })

  it("typechecks under tsc --strict (Promise API, Effect API, worker)", () => {
    expect(compiled.code, tail(compiled)).toBe(0)
  })

  it("gives the same segments through the Promise API, the Effect API and a worker, from an unrelated working directory", async () => {
    const run = await exec(process.execPath, [join(app, "dist/main.js"), fixtureWav], {
      cwd: elsewhere,
      timeoutMs: 180_000,
    })
    expect(run.code, tail(run)).toBe(0)
    const printed: Printed = JSON.parse(run.stdout.trim().split("\n").pop()!)
    expect(printed.promise.length).toBeGreaterThanOrEqual(4)
    expect(printed.effect).toEqual(printed.promise)
    expect(printed.worker).toEqual(printed.promise)
  })

  it("runs the CLI from the tarball: edgeline voice-gate <wav> --json", async () => {
    const run = await exec(
      join(app, "node_modules/.bin/edgeline"),
      ["voice-gate", fixtureWav, "--json"],
      { cwd: elsewhere, timeoutMs: 180_000 },
    )
    expect(run.code, tail(run)).toBe(0)
    const report: { segments: ReadonlyArray<Segment> } = JSON.parse(run.stdout)
    expect(report.segments.length).toBeGreaterThanOrEqual(4)
  })

  it("runs the distill commands from the tarball: eval finds the committed student, report renders", async () => {
    const edgeline = (...args: Array<string>) =>
      exec(join(app, "node_modules/.bin/edgeline"), ["distill", ...args], {
        cwd: elsewhere,
        timeoutMs: 180_000,
      })
    const evaluated = await edgeline("eval", "--data", "mail.jsonl", "--json")
    expect(evaluated.code, tail(evaluated)).toBe(0)
    const result: { model: string; items: number } = JSON.parse(evaluated.stdout)
    // Resolved from where the package manager put @edgeline/model-message-triage, not the CLI's dist/.
    expect(result.model).toMatch(/node_modules\/@edgeline\/model-message-triage\/model\.onnx$/)
    expect(result.items).toBe(2)
    const out = join(temp, `report-${layout}`)
    const reported = await edgeline("report", "--data", "mail.jsonl", "--out", out)
    expect(reported.code, tail(reported)).toBe(0)
    expect(await readFile(join(out, "report.html"), "utf8")).toContain("<svg")
  })

  it("prints the CLI's version: edgeline --version", async () => {
    const run = await exec(join(app, "node_modules/.bin/edgeline"), ["--version"], {
      cwd: elsewhere,
    })
    expect(run.code, tail(run)).toBe(0)
    // "0.1.0" or "edgeline 0.1.0": the version as a word of its own.
    expect(run.stdout.trim().split(/\s+/)).toContain(cli.version)
  })
})
