/**
 * The Teacher spec and both teachers run in browsers: compiled with no
 * Node types (test/tsconfig.browser.json), any Node API in them or in what
 * they import fails to compile.
 */
import { execFile } from "node:child_process"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { expect, it } from "vitest"

it("the teachers compile without Node types", async () => {
  const typescript = createRequire(import.meta.url).resolve("typescript/package.json")
  const tsc = join(dirname(typescript), "bin", "tsc")
  const project = fileURLToPath(new URL("./tsconfig.browser.json", import.meta.url))
  const result = await new Promise<{ code: number | null; output: string }>((resolve) =>
    execFile(process.execPath, [tsc, "-p", project], (error, stdout, stderr) =>
      resolve({ code: error ? (error.code as number) : 0, output: stdout + stderr }),
    ),
  )
  expect(result.output).toBe("")
  expect(result.code).toBe(0)
})
