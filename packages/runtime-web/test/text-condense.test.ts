/**
 * The recipes' text condense in a Chromium Web Worker: the same module as
 * in Node (MIME, HTML to text, masking, sentences, o200k_base tokens), with
 * the same answers.
 */
import type { TextCondense } from "@edgeline/recipes"
import { describe, expect, it } from "vitest"

const mails = [
  [
    "From ann@example.com  Thu Aug 22 13:17:22 2002",
    "From: Ann Smith <ann.smith@example.com>",
    "Subject: =?iso-8859-1?Q?Caf=E9?= at noon? Call (415) 555-0132",
    'Content-Type: multipart/alternative; boundary="b"',
    "",
    "--b",
    "Content-Type: text/plain; charset=koi8-r",
    "Content-Transfer-Encoding: base64",
    "",
    "8NLJ18XUIMnaIOvJxdfB",
    "--b",
    "Content-Type: text/html",
    "",
    '<p>Lunch at the caf&eacute; today? The menu is at <a href="https://cafe.example.com/menu?who=ann">our site</a>. Write to ann.smith@example.com or call +44 20 7946 0958.</p><p>We have soup, bread, salads, pasta and a cake of the day, all made fresh every morning by our cook.</p>',
    "--b--",
  ].join("\n"),
  "Plain text: bob@example.org. Nothing else.",
]

describe("text condense in a Web Worker", () => {
  it("cleans, masks and picks as in Node", async () => {
    const worker = new Worker(new URL("./condense.worker.ts", import.meta.url), { type: "module" })
    const reply = await new Promise<{ out: Array<TextCondense.Condensed> }>((resolve, reject) => {
      worker.onmessage = ({ data }) =>
        "error" in data ? reject(new Error(data.error)) : resolve(data)
      worker.onerror = (e) => reject(new Error(e.message))
      worker.postMessage({ mails })
    })
    worker.terminate()
    const [mail, plain] = reply.out
    expect(mail!.subject).toBe("Café at noon? Call [phone]")
    expect(mail!.from).toBe("Ann Smith <[email]>")
    // What Node gives for the same mails (recipes' own tests run it there).
    expect(mail).toEqual({
      text: "Subject: Café at noon? Call [phone]\nFrom: Ann Smith <[email]>\n\nLunch at the café today? Write to [email] or call [phone].\nWe have soup, bread, salads, pasta and a cake of the day, all made fresh every morning by our cook.",
      subject: "Café at noon? Call [phone]",
      from: "Ann Smith <[email]>",
      tokensIn: 209,
      tokensOut: 60,
      masked: { emails: 2, phones: 2, queries: 1 },
      sentences: { kept: 3, total: 5 },
    })
    expect(plain).toMatchObject({
      text: "Plain text: [email]. Nothing else.",
      tokensIn: 10,
      tokensOut: 9,
    })
  })
})
