/**
 * The READMEs' examples, run as a user would: compiled under `tsc --strict`
 * in a Node app with our tarballs installed (npm, hoisted), then each run
 * with node from a directory holding the fixture as `talk.wav`, and the CLI
 * README's `npx edgeline` lines run there too. Conventions: DEVELOPERS.md.
 */
import { copyFile, mkdtemp } from "node:fs/promises"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest"
import { makeNodeApp } from "../support/app.js"
import { exec, type Result, tail } from "../support/exec.js"
import { install } from "../support/install.js"
import { fixtureWav } from "../support/paths.js"
import {
  commands,
  examples,
  PLACEHOLDER_WAV,
  TS_READMES,
  writeExamples,
} from "../support/readme-examples.js"
import { makeTempDir, removeTempDir } from "../support/temp.js"
import { diagnostics, diagnosticsFor, tsc, unattributed } from "../support/typecheck.js"

const tarballs = inject("tarballs")
const allExamples = examples()
const allCommands = commands()

let temp: string
let app: string
let compiled: Result
beforeAll(async () => {
  temp = await makeTempDir("readme")
  app = join(temp, "app")
  await makeNodeApp(app, tarballs, "hoisted")
  await writeExamples(app, allExamples)
  await install(app, "hoisted")
  compiled = await tsc(app)
})
afterAll(() => removeTempDir(temp))

/** A fresh working directory in the app, with the fixture where the examples expect a recording. */
const runDir = async (): Promise<string> => {
  const dir = await mkdtemp(join(app, "run-"))
  await copyFile(fixtureWav, join(dir, PLACEHOLDER_WAV))
  return dir
}

describe("README examples", () => {
  it.each(TS_READMES)("packages/%s/README.md has examples to run", (dir) => {
    expect(allExamples.filter((e) => e.readme === dir && e.runs).length).toBeGreaterThan(0)
  })

  it("the CLI README has `npx edgeline` lines to run", () => {
    expect(allCommands.length).toBeGreaterThan(0)
  })

  for (const example of allExamples) {
    describe(example.where, () => {
      it(
        example.runs ? "compiles under tsc --strict and runs" : "compiles under tsc --strict",
        async () => {
          expect(unattributed(compiled), diagnostics(compiled)).toEqual([])
          expect(diagnosticsFor(compiled, example.source), diagnostics(compiled)).toEqual([])
          if (!example.runs) return
          const run = await exec(process.execPath, [join(app, example.compiled)], {
            cwd: await runDir(),
            timeoutMs: 180_000,
          })
          expect(run.code, tail(run)).toBe(0)
        },
      )
    })
  }

  for (const command of allCommands) {
    it(`${command.where}: \`${command.line}\` exits 0`, async () => {
      // --no: a missing local bin fails instead of fetching a package named "edgeline".
      const run = await exec("sh", ["-c", command.line.replace(/^npx /, "npx --no ")], {
        cwd: await runDir(),
        timeoutMs: 180_000,
      })
      expect(run.code, tail(run)).toBe(0)
    })
  }
})
