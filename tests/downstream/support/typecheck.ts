/** The workspace's `tsc` (TypeScript 7) on an app's own tsconfig, always `--strict`. */
import { exec, type Result } from "./exec.js"
import { tscBin } from "./paths.js"

export const tsc = (app: string, ...args: Array<string>): Promise<Result> =>
  exec(
    process.execPath,
    [tscBin, "-p", "tsconfig.json", "--strict", "--pretty", "false", ...args],
    {
      cwd: app,
      timeoutMs: 300_000,
    },
  )

/** The diagnostics tsc printed (every `error TS…` line and what follows it). */
export const diagnostics = (result: Result): string => `${result.stdout}${result.stderr}`.trim()

/** The diagnostics about one file, by its path relative to the app. */
export const diagnosticsFor = (result: Result, file: string): Array<string> =>
  diagnostics(result)
    .split("\n")
    .filter((line) => line.startsWith(`${file}(`))

/** Errors tsc printed that name no file (a bad tsconfig, a missing types package). */
export const unattributed = (result: Result): Array<string> =>
  diagnostics(result)
    .split("\n")
    .filter((line) => /error TS\d+/.test(line) && !/^[^\s(]+\(\d+,\d+\): error/.test(line))
