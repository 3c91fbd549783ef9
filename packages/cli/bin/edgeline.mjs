#!/usr/bin/env node
// The `edgeline` command. This file is committed, so `npm ci` links the bin
// before anything is built; the command itself is dist/command/edgeline.mjs, bundled
// at build time (see rolldown.config.mjs for why).
import { existsSync } from "node:fs"

const command = new URL("../dist/command/edgeline.mjs", import.meta.url)
if (!existsSync(command)) {
  console.error(
    "edgeline: the command is not built yet; run `npm run build` (or `npm start`) in the Edgeline checkout first",
  )
  process.exit(1)
}
await import(command.href)
