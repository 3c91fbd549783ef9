// Picks the triage panel's bundled samples (web/samples/triage-samples.json,
// committed): real SpamAssassin messages from the `-1` validation split,
// short enough to read on the page, covering what the cascade does: ham and
// spam the student is sure of, and ones it is unsure of (escalated). Run
// after a build (it reads dist/web/triage-validation.json):
//
//   node scripts/triage-samples.mjs
import { readFile, writeFile } from "node:fs/promises"
import { fileURLToPath } from "node:url"
import { SpamAssassin } from "@edgeline/distill"

const root = new URL("..", import.meta.url)
const table = JSON.parse(await readFile(new URL("dist/web/triage-validation.json", root), "utf8"))
const texts = new Map((await SpamAssassin.load("validation")).map((m) => [m.id, m.text]))
const threshold = table.student.threshold
const short = table.items.filter((i) => texts.get(i.id).length < 5000)

const pick = (title, wanted) => {
  const item = short.find((i) => wanted(i) && !chosen.some((c) => c.id === i.id))
  if (item === undefined) throw new Error(`no sample for: ${title}`)
  const text = texts.get(item.id)
  const subject = /^Subject:\s*(.*)$/im.exec(text)?.[1]?.trim() || "(no subject)"
  chosen.push({ id: item.id, title: `${title}: ${subject}`, label: item.truth, text })
}
const chosen = []
const sure = (i) => i.confidence >= threshold && i.student === i.truth
const unsure = (i) => i.confidence < threshold
pick("Ham (mailing list)", (i) => sure(i) && i.id.startsWith("easy-ham-1/"))
pick("Hard ham (newsletter)", (i) => sure(i) && i.id.startsWith("hard-ham-1/"))
pick("Spam", (i) => sure(i) && i.truth === "spam")
pick("Spam, student unsure", (i) => unsure(i) && i.truth === "spam")
pick("Ham, student unsure", (i) => unsure(i) && i.truth === "ham")
pick("Hard ham, student unsure", (i) => unsure(i) && i.id.startsWith("hard-ham-1/"))

const out = fileURLToPath(new URL("web/samples/triage-samples.json", root))
await writeFile(out, `${JSON.stringify(chosen, null, 2)}\n`)
console.log(`${chosen.length} samples → ${out}`)
