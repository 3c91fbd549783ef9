/**
 * What `npm publish` would upload: every publishable package's tarball holds
 * its LICENSE, README, package.json and built entry points, and no tests;
 * the model package's ONNX file is the one its sha256 names.
 */
import { createHash } from "node:crypto"
import { readFile } from "node:fs/promises"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest"
import { execOk } from "../support/exec.js"
import { extract, filesIn, publishable } from "../support/pack.js"
import { makeTempDir, removeTempDir } from "../support/temp.js"

const tarballs = inject("tarballs")

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")

/** Paths a manifest points at (main, types, bin, exports), without "./"; `*` patterns as regexes. */
const entryPoints = (manifest: Record<string, any>): Array<string | RegExp> => {
  const found = new Set<string>()
  const visit = (value: unknown): void => {
    if (typeof value === "string") found.add(value.replace(/^\.\//, ""))
    else if (value !== null && typeof value === "object") Object.values(value).forEach(visit)
  }
  visit([manifest.main, manifest.types, manifest.module, manifest.bin, manifest.exports])
  return [...found].map((path) =>
    path.includes("*") ? new RegExp(`^${path.split("*").map(escapeRegExp).join(".+")}$`) : path,
  )
}

const TEST_FILE =
  /(^|\/)(test|tests|__tests__|fixtures)\/|\.(test|spec)\.[cm]?[jt]sx?$|vitest\.config|test-results\.json/

describe("npm pack", () => {
  it("packs every publishable package", () => {
    expect(tarballs.map((t) => t.name).sort()).toEqual(
      publishable()
        .map((p) => p.name)
        .sort(),
    )
  })

  describe.each(publishable().map((p) => p.name))("%s", (name) => {
    let files: Array<string>
    let manifest: Record<string, any>
    beforeAll(async () => {
      const tarball = tarballs.find((t) => t.name === name)!
      files = await filesIn(tarball.file)
      const { stdout } = await execOk("tar", ["-xzOf", tarball.file, "package/package.json"], {
        cwd: ".",
      })
      manifest = JSON.parse(stdout)
    })

    it("holds LICENSE, README.md and package.json", () => {
      expect(files).toEqual(expect.arrayContaining(["LICENSE", "README.md", "package.json"]))
    })

    it("holds every entry point its package.json names (main, types, bin, exports)", () => {
      const entries = entryPoints(manifest)
      expect(entries.length).toBeGreaterThan(0)
      for (const entry of entries) {
        if (typeof entry === "string") expect(files, entry).toContain(entry)
        else
          expect(
            files.some((f) => entry.test(f)),
            String(entry),
          ).toBe(true)
      }
    })

    it("holds no test files", () => {
      expect(files.filter((f) => TEST_FILE.test(f))).toEqual([])
    })
  })

  describe("@edgeline/model-silero-vad", () => {
    let dir: string
    beforeAll(async () => {
      dir = await makeTempDir("model")
    })
    afterAll(() => removeTempDir(dir))

    it("holds dist/silero_vad_v5.onnx, whose sha256 is the one the package exports", async () => {
      const tarball = tarballs.find((t) => t.name === "@edgeline/model-silero-vad")!
      const unpacked = await extract(tarball.file, dir)
      const model = await readFile(join(unpacked, "dist/silero_vad_v5.onnx"))
      const exported = await import(pathToFileURL(join(unpacked, "index.js")).href)
      expect(exported.sha256).toMatch(/^[0-9a-f]{64}$/)
      expect(createHash("sha256").update(model).digest("hex")).toBe(exported.sha256)
      expect(model.byteLength).toBe(exported.bytes)
    })
  })
})
