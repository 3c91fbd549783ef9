/**
 * The model behind the cloud tier: the committed message-triage teacher,
 * through the official `openai` client, against the committed student it
 * taught. The `-2` subsets of SpamAssassin are never read here.
 */
import { readFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { OnnxImport, SpamAssassin } from "@edgeline/distill"
import OpenAI from "openai"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { CloudServer, defaultModels, TriageTeacher } from "../src/index.js"

const triage = {
  type: "json_schema",
  json_schema: {
    name: "triage",
    strict: true,
    schema: {
      type: "object",
      properties: {
        label: { type: "string", enum: ["ham", "spam"] },
        confidence: { type: "number" },
      },
      required: ["label", "confidence"],
      additionalProperties: false,
    },
  },
} as const

let teacher: TriageTeacher.TriageTeacher
let server: CloudServer.Server
let client: OpenAI
beforeAll(async () => {
  teacher = await TriageTeacher.classifier()
  server = await CloudServer.start({ models: [teacher], port: 0 })
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused", maxRetries: 0 })
})
afterAll(async () => {
  await server?.close()
  await teacher?.close()
})

describe("the committed triage teacher", () => {
  it("is at least ten times the student's parameters and clearly more accurate on validation", async () => {
    const require = createRequire(import.meta.url)
    const studentBytes = new Uint8Array(
      await readFile(require.resolve("@edgeline/model-message-triage/model.onnx")),
    )
    const student = OnnxImport.card(studentBytes)
    if (typeof student === "string") throw new Error(student)
    expect(studentBytes.byteLength).toBeLessThanOrEqual(1_000_000)
    expect(teacher.parameters).toBeGreaterThanOrEqual(10 * student.parameters)
    // Both figures were measured by `npm run distill` on the same validation split.
    const studentAccuracy = Number(student.evaluation?.accuracy)
    expect(teacher.accuracy).toBeGreaterThan(0.99)
    expect(teacher.accuracy! - studentAccuracy).toBeGreaterThan(0.005)
    expect(Number(student.evaluation?.agreement)).toBeGreaterThanOrEqual(0.97)
  })

  it("is what `edgeline cloud serve` serves", async () => {
    const [model] = await defaultModels()
    expect(model!.id).toBe("message-triage-teacher")
    expect(model!.labels).toEqual(["ham", "spam"])
    await (model as TriageTeacher.TriageTeacher).close()
  })

  it("labels real mail through the openai client, with soft labels in top_logprobs", async () => {
    const messages = (await SpamAssassin.load("validation")).filter((_, k) => k % 13 === 0)
    let right = 0
    for (const m of messages) {
      const completion = await client.chat.completions.create({
        model: "message-triage-teacher",
        messages: [
          { role: "system", content: "Classify the e-mail as spam or ham." },
          { role: "user", content: m.text },
        ],
        response_format: triage,
        logprobs: true,
        top_logprobs: 2,
      })
      const answer = JSON.parse(completion.choices[0]!.message.content!)
      if (answer.label === m.label) right++
      const labelToken = completion.choices[0]!.logprobs!.content!.find(
        (t) => t.top_logprobs.length === 2,
      )!
      const probabilities = labelToken.top_logprobs.map((t) => Math.exp(t.logprob))
      expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4)
      expect(Math.exp(labelToken.logprob)).toBeCloseTo(answer.confidence, 4)
    }
    expect(right / messages.length).toBeGreaterThan(0.97)
  })
})
