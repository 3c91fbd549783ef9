// The triage panel's validation table, written into the built page
// (dist/web/triage-validation.json) by `npm run build`: for every message of
// the SpamAssassin `-1` validation split (`SpamAssassin.load("validation")`,
// as tests/cascade and bench use it; the `-2` subsets stay unread), the
// student's label and confidence, the truth, the reference cloud's label on
// the condensed text (what the cascade sends), and the tokens of the full
// and the condensed text. The page's threshold slider recomputes the share
// escalated, accuracy and tokens from it, with no model run per move.
//
// It takes a while (every message condensed and asked), so the table is
// kept in node_modules/.cache keyed by what it depends on.
import { createHash } from "node:crypto"
import { mkdir, readFile, writeFile } from "node:fs/promises"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { CloudServer, defaultModels } from "@edgeline/cloud-server"
import { createRunner, OpenAiCloudModel } from "@edgeline/core"
import { SpamAssassin } from "@edgeline/distill"
import * as Student from "@edgeline/model-message-triage"
import { TextCondense, TriageStudent } from "@edgeline/recipes"
import { NodeRuntime } from "@edgeline/runtime-node"
import { Effect } from "effect"

const root = fileURLToPath(new URL("..", import.meta.url))
const out = join(root, "dist/web/triage-validation.json")

const self = await readFile(fileURLToPath(import.meta.url))
const key = createHash("sha256")
  .update(self)
  .update(Student.sha256)
  .update(String(TextCondense.DEFAULT_TOKEN_BUDGET))
  .digest("hex")
  .slice(0, 16)
const cached = join(root, `node_modules/.cache/edgeline-playground/triage-validation-${key}.json`)

const build = async () => {
  const validation = await SpamAssassin.load("validation")
  const models = await defaultModels()
  const server = await CloudServer.start({ models })
  const student = await createRunner(await Effect.runPromise(TriageStudent.make()), {
    layer: NodeRuntime.layer(),
  })
  const cloud = await OpenAiCloudModel.createClient({
    baseUrl: `${server.url}/v1`,
    model: models[0].id,
    retries: false,
  })
  // The recipe's question: one label out of the student's, as JSON.
  const schema = {
    type: "object",
    properties: { label: { type: "string", enum: Student.labels } },
    required: ["label"],
    additionalProperties: false,
  }
  try {
    const items = []
    for (const message of validation) {
      const [scored, condensed] = await Promise.all([
        student.run({ text: message.text }),
        Effect.runPromise(TextCondense.condense(message.text)),
      ])
      const answer = await cloud.chat({
        messages: [{ role: "user", content: condensed.text }],
        responseFormat: { type: "json_schema", name: "triage", schema, strict: true },
      })
      items.push({
        id: message.id,
        truth: message.label,
        student: scored.label,
        confidence: Number(scored.confidence.toFixed(6)),
        cloud: JSON.parse(answer.content).label,
        tokensFull: condensed.tokensIn,
        tokensCondensed: condensed.tokensOut,
      })
    }
    return {
      about:
        "SpamAssassin -1 validation split (every fifth message of easy-ham-1, hard-ham-1, spam-1): the student's label and confidence, the reference cloud's label on the condensed text, tokens (o200k_base) of the full and condensed text.",
      student: { sha256: Student.sha256, threshold: Student.threshold },
      cloudModel: models[0].id,
      tokenBudget: TextCondense.DEFAULT_TOKEN_BUDGET,
      items,
    }
  } finally {
    await cloud.close()
    await student.close()
    await server.close()
  }
}

const table = await readFile(cached, "utf8").catch(async () => {
  const started = Date.now()
  const text = JSON.stringify(await build())
  await mkdir(dirname(cached), { recursive: true })
  await writeFile(cached, text)
  console.log(
    `triage validation table: ${JSON.parse(text).items.length} messages in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  )
  return text
})
await mkdir(dirname(out), { recursive: true })
await writeFile(out, table)
