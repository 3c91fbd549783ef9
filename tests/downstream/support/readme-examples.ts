/**
 * The README examples the harness runs in a Node app: every ```ts block of
 * the Node packages' READMEs (a whole program, or with a file name a module
 * the others import; ```ts fragment is skipped), and the `npx edgeline`
 * lines of the CLI's ```sh blocks. Placeholders stay as readers see them:
 * each runs in a directory holding the fixture as `talk.wav`.
 */
import { mkdir, writeFile } from "node:fs/promises"
import { dirname, join } from "node:path"
import { codeBlocks } from "./markdown.js"
import { readme } from "./paths.js"

/** READMEs whose ```ts blocks run on Node. */
export const TS_READMES = ["core", "recipes", "runtime-node", "sync"]
/** READMEs whose `npx edgeline` lines run. */
export const CLI_READMES = ["cli"]

/** The file name readers use for their own recording. */
export const PLACEHOLDER_WAV = "talk.wav"

export interface Example {
  /** e.g. packages/core/README.md:42 */
  readonly where: string
  readonly readme: string
  /** Source, relative to the app. */
  readonly source: string
  /** Compiled JavaScript, relative to the app. */
  readonly compiled: string
  /** A whole program (runs), or a named module others import (compiles only). */
  readonly runs: boolean
  readonly code: string
}

export interface Command {
  readonly where: string
  readonly readme: string
  readonly line: string
}

export const examples = (): Array<Example> =>
  TS_READMES.flatMap((dir) =>
    codeBlocks(readme(dir))
      .filter((b) => b.lang === "ts" && !b.fragment)
      .map((b) => {
        const name = b.file ?? `example-${b.line}.ts`
        return {
          where: `packages/${dir}/README.md:${b.line}${b.file ? ` (${b.file})` : ""}`,
          readme: dir,
          source: `src/readme/${dir}/${name}`,
          compiled: `dist/readme/${dir}/${name.replace(/\.ts$/, ".js")}`,
          runs: b.file === undefined,
          code: b.code,
        }
      }),
  )

export const commands = (): Array<Command> =>
  CLI_READMES.flatMap((dir) =>
    codeBlocks(readme(dir))
      .filter((b) => b.lang === "sh")
      .flatMap((b) =>
        b.code
          .split("\n")
          .map((text, i) => ({ text: text.trim(), line: b.line + 1 + i }))
          .filter(({ text }) => text.startsWith("npx edgeline"))
          .map(({ text, line }) => ({
            where: `packages/${dir}/README.md:${line}`,
            readme: dir,
            // The comment is for readers; the command is what runs.
            line: text.replace(/\s+#.*$/, ""),
          })),
      ),
  )

/** Writes the examples into an app's src/readme/, for its tsconfig to compile. */
export const writeExamples = async (app: string, all: ReadonlyArray<Example>): Promise<void> => {
  for (const example of all) {
    const path = join(app, example.source)
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, example.code)
  }
}
