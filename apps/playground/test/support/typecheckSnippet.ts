/**
 * Compiles a generated TypeScript snippet against the workspace's packages
 * with the workspace's TypeScript, as a user's project would: in a scratch
 * folder inside apps/playground (so the packages resolve), strict options
 * from tsconfig.base.json, Node and Vite client types.
 */
import { execFile } from "node:child_process"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"

const playground = fileURLToPath(new URL("../../", import.meta.url))
const tsc = join(
  dirname(createRequire(import.meta.url).resolve("typescript/package.json")),
  "bin",
  "tsc",
)

/** tsc's complaints about the files (empty when they compile). */
export const typecheckSnippets = async (
  files: Readonly<Record<string, string>>,
): Promise<string> => {
  const dir = await mkdtemp(join(playground, ".snippet-check-"))
  try {
    for (const [name, code] of Object.entries(files)) await writeFile(join(dir, name), code)
    // The snippets' model files, as `?url` imports name them (Vite's client types declare those).
    await writeFile(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        extends: "../../../tsconfig.base.json",
        compilerOptions: {
          noEmit: true,
          lib: ["ES2022", "DOM"],
          types: ["node", "vite/client"],
        },
        include: ["*.ts"],
      }),
    )
    await writeFile(join(dir, "package.json"), JSON.stringify({ type: "module", private: true }))
    const result = await promisify(execFile)(process.execPath, [tsc, "-p", dir], {
      cwd: dir,
    }).then(
      () => "",
      (e: { stdout?: string; message: string }) => e.stdout || e.message,
    )
    return result
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
