// Installed package versions, for the report's header and summaries.
import { readFile } from "node:fs/promises"
import { createRequire } from "node:module"

const require = createRequire(import.meta.url)

const versionOf = async (name) => {
  try {
    return require(`${name}/package.json`).version
  } catch {
    // Packages whose "exports" hide package.json: read it from node_modules.
    const path = new URL(`../../node_modules/${name}/package.json`, import.meta.url)
    return JSON.parse(await readFile(path, "utf8")).version
  }
}

/** The version of `name` as installed, or "not installed". */
export const versionOrMissing = async (name) => {
  try {
    return await versionOf(name)
  } catch {
    return "not installed"
  }
}
