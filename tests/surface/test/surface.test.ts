/**
 * Each published package's public surface, from what it publishes: the
 * entry point's `.d.ts` (names, and the names inside each namespace it
 * re-exports), checked against `api/<package>.txt`. Runtime names are
 * checked against it too, so a value exported without a type (or the other
 * way round) cannot slip by.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { dirname, join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const root = join(dirname(fileURLToPath(import.meta.url)), "../../..")

interface Published {
  readonly name: string
  readonly dir: string
  readonly manifest: { exports?: Record<string, unknown>; types?: string; private?: boolean }
}

const packages: Array<Published> = readdirSync(join(root, "packages"))
  .map((dir) => ({
    dir,
    name: "",
    manifest: JSON.parse(readFileSync(join(root, "packages", dir, "package.json"), "utf8")),
  }))
  .filter(({ manifest }) => manifest.private !== true)
  .map((p) => ({ ...p, name: (p.manifest as { name: string }).name }))

/** Names a `.d.ts` module declares for export, with their kind; `export *` followed. */
const declared = (file: string): Map<string, string> => {
  const text = readFileSync(file, "utf8")
  const names = new Map<string, string>()
  for (const m of text.matchAll(
    /^export (?:declare )?(?:abstract )?(const|function|class|interface|type|namespace|enum) (\w+)/gm,
  )) {
    // A value and a type of one name (a Schema and its `typeof X.Type`) is the value.
    const known = names.get(m[2]!)
    if (known === undefined || known === "type" || known === "interface") names.set(m[2]!, m[1]!)
  }
  for (const m of text.matchAll(/^export (type )?\{([^}]*)\}(?: from "([^"]+)")?;/gm)) {
    for (const part of m[2]!.split(",")) {
      const item = part.trim()
      if (item === "") continue
      const typeOnly = m[1] !== undefined || item.startsWith("type ")
      const name = item
        .replace(/^type /, "")
        .split(" as ")
        .at(-1)!
        .trim()
      names.set(name, typeOnly ? "type" : "value")
    }
  }
  for (const m of text.matchAll(/^export \* from "([^"]+)";/gm)) {
    for (const [name, kind] of declared(join(dirname(file), m[1]!.replace(/\.js$/, ".d.ts")))) {
      names.set(name, kind)
    }
  }
  return names
}

/** The surface of a package: `Name kind` and `Namespace.member kind` lines, sorted. */
const surface = (pkg: Published): Array<string> => {
  const index = join(root, "packages", pkg.dir, pkg.manifest.types ?? "dist/index.d.ts")
  const text = readFileSync(index, "utf8")
  const lines: Array<string> = []
  for (const [name, kind] of declared(index)) lines.push(`${name} ${kind}`)
  for (const m of text.matchAll(/^export \* as (\w+) from "([^"]+)";/gm)) {
    const module = join(dirname(index), m[2]!.replace(/\.js$/, ".d.ts"))
    lines.push(`${m[1]} namespace`)
    for (const [name, kind] of declared(module)) lines.push(`${m[1]}.${name} ${kind}`)
  }
  return lines.sort()
}

/** Names the entry point gives at run time, namespaces opened one level. */
const runtimeNames = async (pkg: Published): Promise<Array<string>> => {
  const module = (await import(pkg.name)) as Record<string, unknown>
  const names: Array<string> = []
  for (const [name, value] of Object.entries(module)) {
    names.push(name)
    if (Object.prototype.toString.call(value) === "[object Module]") {
      for (const member of Object.keys(value as object)) names.push(`${name}.${member}`)
    }
  }
  return names.sort()
}

describe.each(packages.filter((p) => p.dir !== "cli"))("$name", (pkg) => {
  it("exports exactly the names in api/<package>.txt", async () => {
    await expect(`${surface(pkg).join("\n")}\n`).toMatchFileSnapshot(`../api/${pkg.dir}.txt`)
  })

  it("gives at run time the values its types declare", async () => {
    const typed = new Set(
      surface(pkg)
        .filter((line) => !/ (type|interface)$/.test(line))
        .map((line) => line.split(" ")[0]!),
    )
    expect(await runtimeNames(pkg)).toEqual([...typed].sort())
  })

  it('has no "./*" subpath export', () => {
    expect(Object.keys(pkg.manifest.exports ?? {})).not.toContain("./*")
  })
})

describe("core's internals stay internal", () => {
  const core = packages.find((p) => p.dir === "core")!
  it.each([
    "Executor",
    "Transfer",
    "OrtBackend",
    "settingsKey",
    "coreErrors",
    "WorkerApi",
    "toError",
    "withSignal",
    "streamWith",
    "runStepsWith",
    "Errors",
  ])("%s is not part of the surface", (name) => {
    const names = surface(core).map((line) => line.split(" ")[0]!)
    expect(names.filter((n) => n === name || n.endsWith(`.${name}`))).toEqual([])
  })
})

describe.each(packages.filter((p) => p.dir !== "cli"))("$name's errors", (pkg) => {
  it("are each exported once, by name at the top", () => {
    const errors = surface(pkg)
      .filter((line) => /Error (value|class)$/.test(line))
      .map((line) => line.split(" ")[0]!)
    expect(errors.filter((name) => name.includes("."))).toEqual([])
  })
})

const withoutComments = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, "")

describe("published type declarations", () => {
  const dts = packages.flatMap((pkg) => {
    const dist = join(root, "packages", pkg.dir, "dist")
    if (!existsSync(dist)) return []
    return readdirSync(dist, { recursive: true, encoding: "utf8" })
      .filter((file) => file.endsWith(".d.ts"))
      .map((file) => join(dist, file))
  })

  it("exist for every package", () => {
    expect(dts.length).toBeGreaterThan(packages.length)
  })

  it("import other Edgeline packages only through their entry points", () => {
    // Subpaths a package declares in its "exports" (`@edgeline/distill/features`) are entry points too.
    const declared = new Set(
      packages.flatMap((pkg) =>
        Object.keys(pkg.manifest.exports ?? {}).map((key) => `${pkg.name}${key.slice(1)}`),
      ),
    )
    const deep = dts.flatMap((file) =>
      [
        // Comments may show subpaths in examples (a model file's `?url`); only code counts.
        ...withoutComments(readFileSync(file, "utf8")).matchAll(
          /(?:from |import\()"(@edgeline\/[^/"]+\/(?!package\.json)[^"]+)"/g,
        ),
      ]
        .filter((m) => !declared.has(m[1]!))
        .map((m) => `${relative(root, file)}: ${m[1]}`),
    )
    expect(deep).toEqual([])
  })
})
