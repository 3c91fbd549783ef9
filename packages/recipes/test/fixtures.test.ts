/**
 * The committed recordings are exactly what the committed script makes with
 * espeak-ng: regenerate them into a temporary folder and compare bytes.
 */
import { execFile } from "node:child_process"
import { createHash } from "node:crypto"
import { mkdtemp, readdir, readFile, stat } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { describe, expect, it } from "vitest"

const fixtures = fileURLToPath(new URL("./fixtures/", import.meta.url))
const sha256 = async (path: string) =>
  createHash("sha256")
    .update(await readFile(path))
    .digest("hex")

describe("speech fixtures", () => {
  it("are reproduced byte for byte by make-fixtures.mjs", { timeout: 60_000 }, async () => {
    const out = await mkdtemp(join(tmpdir(), "edgeline-fixtures-"))
    await promisify(execFile)(process.execPath, [join(fixtures, "make-fixtures.mjs"), out])
    const made = (await readdir(out)).filter((f) => /\.(wav|json)$/.test(f)).sort()
    const committed = (await readdir(fixtures)).filter((f) => /\.(wav|json)$/.test(f)).sort()
    expect(made).toEqual(committed)
    for (const file of made) {
      expect(await sha256(join(out, file)), file).toBe(await sha256(join(fixtures, file)))
    }
  })

  it("stay under 2 MB in total", async () => {
    let total = 0
    for (const file of await readdir(fixtures)) total += (await stat(join(fixtures, file))).size
    expect(total).toBeLessThan(2 * 1024 * 1024)
  })
})
