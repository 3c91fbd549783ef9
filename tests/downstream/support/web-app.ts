/**
 * The Vite web app of the runtime-web README, made from the README's own
 * blocks: each ```ts/```json/```html block names its file in its info string
 * (```ts vite.config.ts) and is written there as is.
 */
import { mkdir, writeFile } from "node:fs/promises"
import { dirname, join } from "node:path"
import { effectRange, writeManifest } from "./app.js"
import { type Block, codeBlocks } from "./markdown.js"
import { specs, type Tarball } from "./pack.js"
import { readme, workspaceVersion } from "./paths.js"

/** What the web app installs from us. */
export const WEB_PACKAGES = [
  "@edgeline/core",
  "@edgeline/recipes",
  "@edgeline/runtime-web",
  "@edgeline/model-silero-vad",
]

export const README = readme("runtime-web")

/** The README's blocks that are files of the app. */
export const appBlocks = (): Array<Block & { readonly file: string }> =>
  codeBlocks(README).filter(
    (b): b is Block & { readonly file: string } => b.file !== undefined && !b.fragment,
  )

/** Blocks in a language that makes up an app but with no file name: the harness cannot place them. */
export const unplacedBlocks = (): Array<Block> =>
  codeBlocks(README).filter(
    (b) => ["ts", "js", "json", "html"].includes(b.lang) && b.file === undefined && !b.fragment,
  )

export const makeWebApp = async (app: string, tarballs: ReadonlyArray<Tarball>): Promise<void> => {
  const vite = workspaceVersion("vite")
  await writeManifest(app, tarballs, "hoisted", {
    dependencies: { effect: await effectRange(), ...specs(tarballs, WEB_PACKAGES) },
    // The major the workspace builds with, at least the version it tests.
    devDependencies: { vite: `^${vite}` },
  })
  for (const block of appBlocks()) {
    const path = join(app, block.file)
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, block.code)
  }
}
