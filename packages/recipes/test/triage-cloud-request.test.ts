/**
 * The cloud request the message-triage cascade sends for a condensed
 * prompt, and the parsing of its answer, as exported for offline
 * evaluations that must ask what the live cascade asks.
 */
import { MessageTriage } from "@edgeline/recipes"
import { describe, expect, it } from "vitest"

describe("MessageTriage.cloudRequest", () => {
  it("asks for one label of the student's, as strict JSON, with the prompt as the only message", () => {
    const request = MessageTriage.cloudRequest("Subject: WIN [email]")
    expect(request.messages).toEqual([{ role: "user", content: "Subject: WIN [email]" }])
    expect(request.model).toBeUndefined()
    expect(request.responseFormat).toEqual({
      type: "json_schema",
      name: "triage",
      schema: {
        type: "object",
        properties: { label: { type: "string", enum: ["ham", "spam"] } },
        required: ["label"],
        additionalProperties: false,
      },
      strict: true,
    })
  })

  it("takes other labels and a model", () => {
    const request = MessageTriage.cloudRequest("hi", {
      labels: ["a", "b", "c"],
      cloudModel: "teacher",
    })
    expect(request.model).toBe("teacher")
    expect(request.responseFormat).toMatchObject({
      schema: { properties: { label: { enum: ["a", "b", "c"] } } },
    })
  })
})

describe("MessageTriage.cloudLabel", () => {
  it("reads the label from the answer", () => {
    expect(MessageTriage.cloudLabel('{"label":"spam"}')).toBe("spam")
    expect(MessageTriage.cloudLabel('{"label":"c"}', ["a", "c"])).toBe("c")
  })

  it("refuses a label outside the list, and an answer that is not JSON", () => {
    expect(() => MessageTriage.cloudLabel('{"label":"eggs"}')).toThrow(/not one of ham, spam/)
    expect(() => MessageTriage.cloudLabel('{"answer":"spam"}')).toThrow(/undefined/)
    expect(() => MessageTriage.cloudLabel("spam")).toThrow()
  })
})
