/**
 * The README's example runs as written, with node, against the loopback
 * server in place of `http://localhost:8000` and on the recipes' recording
 * as `talk.wav`. It holds no TypeScript syntax, so it runs as an .mjs file,
 * placed under this package's node_modules so it imports our packages as an
 * app would.
 */
import { execFile } from "node:child_process"
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type KServeServer, start } from "./support/kserveServer.js"
import { served } from "./support/models.js"

const run = promisify(execFile)
const here = fileURLToPath(new URL("..", import.meta.url))

let server: KServeServer
beforeAll(async () => {
  server = await start(served)
})
afterAll(() => server?.close())

/** The README's first whole-program ```ts block. */
const example = async (): Promise<string> => {
  const readme = await readFile(join(here, "README.md"), "utf8")
  return /^```ts\n([\s\S]*?)^```/m.exec(readme)![1]!
}

describe("README", () => {
  it("the example runs and prints the gate's segments", async () => {
    const code = await example()
    expect(code).toContain(`"http://localhost:8000"`)
    const dir = join(here, "node_modules/.cache/readme-example")
    const cwd = await mkdtemp(join(tmpdir(), "kserve-readme-"))
    try {
      await mkdir(dir, { recursive: true })
      await writeFile(join(dir, "example.mjs"), code.replace("http://localhost:8000", server.url))
      await copyFile(
        join(here, "../recipes/test/fixtures/conversation-16k-mono.wav"),
        join(cwd, "talk.wav"),
      )
      const { stdout } = await run(process.execPath, [join(dir, "example.mjs")], { cwd })
      expect(stdout).toMatch(/start: [\d.]+/)
      expect(server.requests.some((r) => r.path === "/v2/models/silero_vad_v5/infer")).toBe(true)
    } finally {
      await rm(cwd, { recursive: true, force: true })
      await rm(dir, { recursive: true, force: true })
    }
  })
})
