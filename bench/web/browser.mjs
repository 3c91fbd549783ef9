// Debian's Chromium driven by Playwright, with the browser tests' flags
// (tooling/browser.mjs) minus WebGPU: we benchmark wasm.
import { chromium } from "playwright"
import { CHROMIUM, chromiumArgs, chromiumMissing } from "../../tooling/browser.mjs"

/** Why the browser benchmarks cannot run here, or undefined when they can. */
export const unavailable = chromiumMissing

export const launch = () => chromium.launch({ executablePath: CHROMIUM, args: chromiumArgs() })
