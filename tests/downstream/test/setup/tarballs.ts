/**
 * Global setup: packs every publishable package once (turbo built them
 * before this task) into a temp dir outside the workspace; each test file
 * installs from these tarballs. The dir goes when the run ends.
 */
import type { TestProject } from "vitest/node"
import { packAll, type Tarball } from "../../support/pack.js"
import { makeTempDir, removeTempDir } from "../../support/temp.js"

declare module "vitest" {
  interface ProvidedContext {
    tarballs: Array<Tarball>
  }
}

export default async function setup(project: TestProject) {
  const dir = await makeTempDir("tarballs")
  try {
    project.provide("tarballs", await packAll(dir))
  } catch (e) {
    await removeTempDir(dir)
    throw e
  }
  return () => removeTempDir(dir)
}
