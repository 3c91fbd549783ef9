/**
 * A downstream app: a folder outside the workspace whose package.json takes
 * our packages from their tarballs (`file:`), with every `@edgeline/*` name
 * overridden to its tarball so nothing is looked up on the registry under
 * our names, and `effect` as the app's own dependency.
 */
import { cp, mkdir, readFile, writeFile } from "node:fs/promises"
import { join } from "node:path"
import type { Layout } from "./install.js"
import { specs, type Tarball } from "./pack.js"
import { root } from "./paths.js"

/** What a Node app installs: not runtime-web, and not the model (recipes must bring it). */
export const NODE_PACKAGES = [
  "@edgeline/core",
  "@edgeline/recipes",
  "@edgeline/runtime-node",
  "@edgeline/sync",
  "@edgeline/cli",
]

/** What the distillation app installs from us: the trainer, the cloud tier and the shipped student. */
export const DISTILL_PACKAGES = [
  "@edgeline/distill",
  "@edgeline/cloud-server",
  "@edgeline/model-message-triage",
]

/** The effect range our packages ask of their users (core's peer range). */
export const effectRange = async (): Promise<string> =>
  JSON.parse(await readFile(join(root, "packages/core/package.json"), "utf8")).peerDependencies
    .effect

export interface Manifest {
  readonly dependencies: Record<string, string>
  readonly devDependencies?: Record<string, string> | undefined
}

/** Writes the app's package.json, with the overrides in the layout's package manager's field. */
export const writeManifest = async (
  app: string,
  tarballs: ReadonlyArray<Tarball>,
  layout: Layout,
  manifest: Manifest,
): Promise<void> => {
  const overrides = specs(tarballs)
  const json = {
    name: "downstream-app",
    version: "1.0.0",
    private: true,
    type: "module",
    dependencies: manifest.dependencies,
    ...(manifest.devDependencies ? { devDependencies: manifest.devDependencies } : {}),
    ...(layout === "pnpm" ? { pnpm: { overrides } } : { overrides }),
  }
  await mkdir(app, { recursive: true })
  await writeFile(join(app, "package.json"), `${JSON.stringify(json, null, 2)}\n`)
}

/** A Node app: fixtures/node-app (main.ts, its worker, tsconfig) depending on NODE_PACKAGES. */
export const makeNodeApp = async (
  app: string,
  tarballs: ReadonlyArray<Tarball>,
  layout: Layout,
): Promise<void> => {
  await writeManifest(app, tarballs, layout, {
    dependencies: {
      effect: await effectRange(),
      "@types/node": "^20",
      ...specs(tarballs, NODE_PACKAGES),
    },
  })
  const template = new URL("../fixtures/node-app/", import.meta.url)
  await cp(new URL("src/", template), join(app, "src"), { recursive: true })
  await cp(new URL("tsconfig.json", template), join(app, "tsconfig.json"))
}

const manifestOf = async (dir: string): Promise<Record<string, any>> =>
  JSON.parse(await readFile(join(root, "packages", dir, "package.json"), "utf8"))

/**
 * The distillation app: fixtures/distill-app (its scripts and tsconfig)
 * depending on DISTILL_PACKAGES, plus what a user of them adds: the official
 * `openai` client and `onnxruntime-node`, at the versions the cloud server
 * uses and tests with (so the app has one onnxruntime-node, not two).
 */
export const makeDistillApp = async (
  app: string,
  tarballs: ReadonlyArray<Tarball>,
  layout: Layout,
): Promise<void> => {
  const cloudServer = await manifestOf("cloud-server")
  await writeManifest(app, tarballs, layout, {
    dependencies: {
      effect: await effectRange(),
      "@types/node": "^20",
      openai: cloudServer.devDependencies.openai,
      "onnxruntime-node": cloudServer.dependencies["onnxruntime-node"],
      ...specs(tarballs, DISTILL_PACKAGES),
    },
  })
  const template = new URL("../fixtures/distill-app/", import.meta.url)
  await cp(new URL("src/", template), join(app, "src"), { recursive: true })
  await cp(new URL("tsconfig.json", template), join(app, "tsconfig.json"))
}
