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
// kept in node_modules/.cache keyed by what decides it: this script, the
// student, the built code of the recipes (condense, the cloud request), the
// cloud server and distill (the split), and the cloud's teacher model.
import { createHash } from "node:crypto"
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { CloudServer, defaultModels, TriageTeacher } from "@edgeline/cloud-server"
import { createRunner, OpenAiCloudModel } from "@edgeline/core"
import { SpamAssassin } from "@edgeline/distill"
import * as Student from "@edgeline/model-message-triage"
import { MessageTriage, TextCondense, TriageStudent } from "@edgeline/recipes"
import { NodeRuntime } from "@edgeline/runtime-node"
import { Effect } from "effect"

const root = fileURLToPath(new URL("..", import.meta.url))
const out = join(root, "dist/web/triage-validation.json")

/** A built package's JavaScript (names and contents, in a fixed order): what runs. */
const hashBuilt = async (hash, specifier) => {
  const dist = dirname(createRequire(import.meta.url).resolve(specifier))
  const files = (await readdir(dist, { recursive: true }))
    .filter((file) => file.endsWith(".js"))
    .sort()
  for (const file of files) hash.update(file).update(await readFile(join(dist, file)))
}

const hash = createHash("sha256")
  .update(await readFile(fileURLToPath(import.meta.url)))
  .update(Student.sha256)
  .update(await readFile(TriageTeacher.modelUrl))
for (const specifier of ["@edgeline/recipes", "@edgeline/cloud-server", "@edgeline/distill"]) {
  await hashBuilt(hash, specifier)
}
const key = hash.digest("hex").slice(0, 16)
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
  try {
    const items = []
    for (const message of validation) {
      const [scored, condensed] = await Promise.all([
        student.run({ text: message.text }),
        Effect.runPromise(TextCondense.condense(message.text)),
      ])
      // The recipe's own request and answer parsing, with the defaults the
      // worker's cascade uses: the table cannot drift from the live one.
      const answer = await cloud.chat(MessageTriage.cloudRequest(condensed.text))
      items.push({
        id: message.id,
        truth: message.label,
        student: scored.label,
        confidence: Number(scored.confidence.toFixed(6)),
        cloud: MessageTriage.cloudLabel(answer.content),
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
