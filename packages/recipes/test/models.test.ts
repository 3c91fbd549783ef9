/**
 * The models the recipes name are bundled, pinned and licensed: each ref
 * carries the sha256 of the file its package ships (so sources verify the
 * bytes and the browser answers from its cache), and the package says where
 * the file comes from under which licence.
 */
import { createHash } from "node:crypto"
import { readFile } from "node:fs/promises"
import { createRequire } from "node:module"
import * as SileroModel from "@edgeline/model-silero-vad"
import { SileroVad } from "@edgeline/recipes"
import { describe, expect, it } from "vitest"

const require = createRequire(import.meta.url)

describe("bundled models", () => {
  it("SileroVad.model is pinned to the sha256 of the file @edgeline/model-silero-vad ships", async () => {
    const { model } = SileroVad
    expect(model.uri).toBe(`npm:${SileroModel.specifier}`)
    expect(model.sha256).toMatch(/^[0-9a-f]{64}$/)
    const file = await readFile(require.resolve(SileroModel.specifier))
    expect(file.byteLength).toBe(SileroModel.bytes)
    expect(createHash("sha256").update(file).digest("hex")).toBe(model.sha256)
    // Resolved from the recipes package itself, whatever the install layout.
    expect(model.resolveFrom).toMatch(/^file:.*\/recipes\/dist\/voice-gate\/SileroVad\.js$/)
  })

  it("the model package carries the upstream MIT licence", async () => {
    expect(SileroModel.license).toBe("MIT")
    const pkg = require.resolve("@edgeline/model-silero-vad/package.json")
    const licence = await readFile(new URL("LICENSE", `file://${pkg}`), "utf8")
    expect(licence).toMatch(/^MIT License/)
    expect(licence).toMatch(/Copyright \(c\) 2020-present Silero Team/)
  })
})
