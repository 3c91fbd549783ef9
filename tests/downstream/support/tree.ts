/**
 * What an install put on disk, under any layout: npm's hoisted tree, npm's
 * linked store (`node_modules/.store`) and pnpm's (`node_modules/.pnpm`).
 * Symlinks are not followed, so each real copy of a package counts once.
 */
import { existsSync, readdirSync } from "node:fs"
import { join } from "node:path"

export interface Installed {
  readonly name: string
  readonly dir: string
}

const STORES = new Set([".store", ".pnpm"])

const dirs = (path: string) =>
  existsSync(path) ? readdirSync(path, { withFileTypes: true }).filter((e) => e.isDirectory()) : []

/** Packages in one node_modules folder and below. */
const walk = (nodeModules: string, found: Array<Installed>): void => {
  for (const entry of dirs(nodeModules)) {
    const path = join(nodeModules, entry.name)
    if (STORES.has(entry.name)) {
      // <store>/<entry>/node_modules, where pnpm flattens a scope into the entry
      // (@scope+name@version) and npm nests it (@scope/name@version-hash).
      for (const item of dirs(path)) {
        const entryDir = join(path, item.name)
        if (existsSync(join(entryDir, "node_modules"))) walk(join(entryDir, "node_modules"), found)
        else if (item.name.startsWith("@")) {
          for (const scoped of dirs(entryDir))
            walk(join(entryDir, scoped.name, "node_modules"), found)
        }
      }
    } else if (entry.name.startsWith(".")) {
      // .bin, .cache, .vite
    } else if (entry.name.startsWith("@")) {
      for (const scoped of dirs(path)) {
        const dir = join(path, scoped.name)
        found.push({ name: `${entry.name}/${scoped.name}`, dir })
        walk(join(dir, "node_modules"), found)
      }
    } else {
      found.push({ name: entry.name, dir: path })
      walk(join(path, "node_modules"), found)
    }
  }
}

/** Every real package folder installed in an app. */
export const installed = (app: string): Array<Installed> => {
  const found: Array<Installed> = []
  walk(join(app, "node_modules"), found)
  return found
}

/** The real copies of one package in an app. */
export const copiesOf = (app: string, name: string): Array<string> =>
  installed(app)
    .filter((p) => p.name === name)
    .map((p) => p.dir)
