/**
 * Fenced code blocks of a README, with their info strings, for the harness
 * that runs them. The conventions (DEVELOPERS.md): ```ts is a whole program,
 * ```ts fragment is deliberately partial and skipped, ```ts <file> (any info
 * word with a dot or a slash) is a file written under that name.
 */
import { readFileSync } from "node:fs"

export interface Block {
  /** The language word: ts, sh, json, html. */
  readonly lang: string
  /** The file name from the info string, if any. */
  readonly file: string | undefined
  /** Fenced as ```ts fragment: deliberately partial, not run. */
  readonly fragment: boolean
  readonly code: string
  /** Line of the opening fence, 1-based. */
  readonly line: number
}

export const codeBlocks = (path: string): Array<Block> => {
  const lines = readFileSync(path, "utf8").split("\n")
  const blocks: Array<Block> = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S+)(.*)$/.exec(lines[i]!)
    if (open === null) continue
    const words = open[2]!.trim().split(/\s+/).filter(Boolean)
    const body: Array<string> = []
    let j = i + 1
    for (; j < lines.length && !lines[j]!.startsWith("```"); j++) body.push(lines[j]!)
    blocks.push({
      lang: open[1]!,
      file: words.find((w) => /[./]/.test(w)),
      fragment: words.includes("fragment"),
      code: `${body.join("\n")}\n`,
      line: i + 1,
    })
    i = j
  }
  return blocks
}
