/**
 * The cascade's escalation policy: a fixed threshold, or one read for every
 * message (a device whose model, and so whose calibrated threshold, is
 * updated while it runs).
 */
import * as Student from "@edgeline/model-message-triage"
import { EscalationPolicy } from "@edgeline/recipes"
import { describe, expect, it } from "vitest"

describe("EscalationPolicy", () => {
  it("escalates below the committed student's threshold by default", () => {
    const policy = EscalationPolicy.make()
    expect(policy.threshold).toBe(Student.threshold)
    expect(policy.wants(Student.threshold - 0.01)).toBe(true)
    expect(policy.wants(Student.threshold)).toBe(false)
  })

  it("reads a threshold given as a function for every message, so it can follow the model", () => {
    let current = 0.9
    const policy = EscalationPolicy.make({ threshold: () => current })
    expect(policy.wants(0.8)).toBe(true)
    expect(policy.threshold).toBe(0.9)
    current = 0.7
    expect(policy.wants(0.8)).toBe(false)
    expect(policy.threshold).toBe(0.7)
    // Per-call overrides still win over whatever the threshold is now.
    expect(policy.wants(0.99, "always")).toBe(true)
    expect(policy.wants(0.1, "never")).toBe(false)
  })

  it("caps escalations per minute whatever the threshold", () => {
    const policy = EscalationPolicy.make({ threshold: () => 1, perMinute: 2 })
    expect([policy.spend(0), policy.spend(1), policy.spend(2)]).toEqual([true, true, false])
    expect(policy.spend(60_001)).toBe(true)
  })
})
