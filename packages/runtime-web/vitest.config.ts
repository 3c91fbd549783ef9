import { existsSync } from "node:fs"
import { playwright } from "@vitest/browser-playwright"
import { defineConfig } from "vitest/config"
import { commands } from "./test/setup/commands.js"

// Debian's Chromium, driven by Playwright; never a downloaded browser.
const chromium = process.env.EDGELINE_CHROMIUM ?? "/usr/bin/chromium"
if (!existsSync(chromium)) {
  throw new Error(
    `the browser tests need Chromium at ${chromium}: install it (Debian: apt-get install chromium) or set EDGELINE_CHROMIUM to its path`,
  )
}

/** Flags that work for root in this sandbox; see DEVELOPERS.md. */
const args = [
  "--no-sandbox",
  "--headless",
  "--disable-gpu",
  // WebGPU on SwiftShader, so the WebGPU path runs without a GPU.
  "--enable-unsafe-webgpu",
  // Keep Chromium off the network: nothing but loopback resolves.
  "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
]

export default defineConfig({
  server: {
    // Cross-origin isolation: SharedArrayBuffer, so ORT may use threads.
    headers: {
      "Cross-Origin-Opener-Policy": "same-origin",
      "Cross-Origin-Embedder-Policy": "require-corp",
    },
  },
  optimizeDeps: {
    include: [
      "onnxruntime-web",
      "comlink",
      "effect",
      "@alexanderolsen/libsamplerate-js",
      "wavefile",
    ],
  },
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["./test/setup/node-reference.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    browser: {
      enabled: true,
      headless: true,
      screenshotFailures: false,
      provider: playwright({ launchOptions: { executablePath: chromium, args } }),
      instances: [{ browser: "chromium" }],
      commands,
    },
  },
})
