/**
 * Packing: `npm pack` of every publishable package (what `npm publish` would
 * upload), and reading a tarball back.
 */
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { execOk } from "./exec.js"
import { root } from "./paths.js"

export interface Tarball {
  readonly name: string
  readonly version: string
  /** Absolute path of the .tgz. */
  readonly file: string
  /** The package's folder under packages/. */
  readonly dir: string
}

/** Every package under packages/ that is not private, with its folder. */
export const publishable = (): Array<{ readonly name: string; readonly dir: string }> =>
  readdirSync(join(root, "packages"))
    .map((dir) => ({
      dir,
      manifest: JSON.parse(readFileSync(join(root, "packages", dir, "package.json"), "utf8")),
    }))
    .filter(({ manifest }) => manifest.private !== true)
    .map(({ dir, manifest }) => ({ name: manifest.name as string, dir }))

/** Packs every publishable package into `destination` (packages must be built already). */
export const packAll = async (destination: string): Promise<Array<Tarball>> => {
  const packages = publishable()
  const { stdout } = await execOk(
    "npm",
    [
      "pack",
      "--json",
      "--ignore-scripts",
      `--pack-destination=${destination}`,
      ...packages.map((p) => `--workspace=${p.name}`),
    ],
    { cwd: root },
  )
  const packed: Array<{ name: string; version: string; filename: string }> = JSON.parse(stdout)
  return packed.map((p) => ({
    name: p.name,
    version: p.version,
    file: join(destination, p.filename),
    dir: packages.find((q) => q.name === p.name)!.dir,
  }))
}

/** Paths inside a tarball, without npm's `package/` prefix. */
export const filesIn = async (tarball: string): Promise<Array<string>> => {
  const { stdout } = await execOk("tar", ["-tzf", tarball], { cwd: root })
  return stdout
    .split("\n")
    .filter((line) => line !== "" && !line.endsWith("/"))
    .map((line) => line.replace(/^package\//, ""))
}

/** Extracts a tarball into `dir` (its files land in `dir/package`). */
export const extract = async (tarball: string, dir: string): Promise<string> => {
  await execOk("tar", ["-xzf", tarball, "-C", dir], { cwd: root })
  return join(dir, "package")
}

/** `file:` specs for our packages, by name. */
export const specs = (
  tarballs: ReadonlyArray<Tarball>,
  names?: ReadonlyArray<string>,
): Record<string, string> =>
  Object.fromEntries(
    tarballs
      .filter((t) => names === undefined || names.includes(t.name))
      .map((t) => [t.name, `file:${t.file}`]),
  )
