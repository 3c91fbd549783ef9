/**
 * A Web Worker that runs the recipes' text condense (postal-mime,
 * html-to-text, gpt-tokenizer, Intl.Segmenter) as a device would.
 */
import { TextCondense } from "@edgeline/recipes"
import { Effect } from "effect"

self.onmessage = async ({ data }: MessageEvent<{ readonly mails: ReadonlyArray<string> }>) => {
  try {
    const out = await Promise.all(
      data.mails.map((mail) => Effect.runPromise(TextCondense.condense(mail, { tokenBudget: 64 }))),
    )
    self.postMessage({ out })
  } catch (e) {
    self.postMessage({ error: String(e) })
  }
}
