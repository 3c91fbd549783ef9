/**
 * The README's example runs as written, with node. It holds no TypeScript
 * syntax, so it runs as an .mjs file, placed under this package's
 * node_modules so it imports our package and `openai` as an app would.
 */
import { execFile } from "node:child_process"
import { mkdir, readFile, rm, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { describe, expect, it } from "vitest"

const run = promisify(execFile)
const here = fileURLToPath(new URL("..", import.meta.url))

describe("README", () => {
  it("the example runs and prints the filled schema and the usage", async () => {
    const readme = await readFile(join(here, "README.md"), "utf8")
    const code = /^```ts\n([\s\S]*?)^```/m.exec(readme)![1]!
    const dir = join(here, "node_modules/.cache/readme-example")
    try {
      await mkdir(dir, { recursive: true })
      await writeFile(join(dir, "example.mjs"), code)
      const { stdout, stderr } = await run(process.execPath, [join(dir, "example.mjs")])
      const [content, usage] = stdout.split("\n")
      const answer = JSON.parse(content!)
      expect(answer.label).toBe("spam")
      expect(answer.confidence).toBeGreaterThan(0.9)
      expect(usage).toMatch(/^\{ prompt_tokens: \d+, completion_tokens: \d+, total_tokens: \d+ \}$/)
      expect(stderr).toBe("") // keys are configured: no warning
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it("the transcription example runs on speech said by flite and prints what it printed", async () => {
    const readme = await readFile(join(here, "README.md"), "utf8")
    const section = readme.slice(readme.indexOf("## Transcriptions"))
    const code = /^```ts\n([\s\S]*?)^```/m.exec(section)![1]!
    // What each console.log says it prints, in its comment.
    const printed = [...code.matchAll(/^console\.log\(.*\) \/\/ (.*)$/gm)].map((m) => m[1])
    const dir = join(here, "node_modules/.cache/readme-transcription")
    try {
      await mkdir(dir, { recursive: true })
      await writeFile(join(dir, "example.mjs"), code)
      await run("flite", [
        "-voice",
        "slt",
        "-t",
        "turn off the kitchen lights",
        "-o",
        join(dir, "speech.wav"),
      ])
      const { stdout, stderr } = await run(process.execPath, [join(dir, "example.mjs")], {
        cwd: dir,
      })
      expect(printed).toHaveLength(2)
      expect(stdout.trimEnd().split("\n")).toEqual(printed)
      expect(stderr).toBe("")
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
