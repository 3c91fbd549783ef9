/**
 * Writing the command's results to stdout so that a failed write is noticed.
 * `console.log` drops write errors: `edgeline … > /dev/full` printed nothing
 * and exited 0. Here every write waits for its callback and a failure
 * (a full disk, a closed pipe) becomes an `OutputError`.
 */
export class OutputError extends Error {
  readonly _tag = "OutputError"
}

const describe = (e: unknown): string => {
  const code = (e as { code?: string }).code
  if (code === "EPIPE") return "the reader closed the pipe"
  if (code === "ENOSPC") return "no space left on the device"
  return e instanceof Error ? e.message : String(e)
}

let failure: OutputError | undefined
// Without a listener, a failed write to a pipe would be an unhandled 'error' event.
process.stdout.on("error", (e) => {
  failure ??= new OutputError(`cannot write to stdout: ${describe(e)}`)
})

/** Writes `text` to stdout; rejects with `OutputError` if the write fails. */
export const write = (text: string): Promise<void> =>
  new Promise((resolve, reject) => {
    if (failure !== undefined) return reject(failure)
    process.stdout.write(text, (e) => {
      if (e) {
        failure ??= new OutputError(`cannot write to stdout: ${describe(e)}`)
        reject(failure)
      } else resolve()
    })
  })

/** `OutputError` for a file that cannot be written, saying why. */
export const fileError = (path: string, e: unknown): OutputError => {
  const code = (e as { code?: string }).code
  const why =
    code === "ENOENT"
      ? "its directory does not exist"
      : code === "EACCES" || code === "EPERM"
        ? "permission denied"
        : code === "ENOTDIR" || code === "EEXIST"
          ? "a part of its path is a file, not a directory"
          : describe(e)
  return new OutputError(`cannot write ${path}: ${why}`)
}
