/**
 * The telemetry the crash test's children record, shared with the test:
 * event n (0 ≤ n < TOTAL) always has the same id and content, so the
 * parent knows which events a child recorded from the numbers it prints,
 * and can check what the server stored against what was recorded.
 */

/** Events recorded over the whole run. */
export const TOTAL = 10_000

/** The ingest's bearer token. */
export const TOKEN = "crash-device-token"

export const idOf = (n) => `event-${String(n).padStart(5, "0")}`

/** The event's number, or undefined for an id this test never makes. */
export const numberOf = (id) => {
  const m = /^event-(\d{5})$/.exec(id)
  return m === null ? undefined : Number(m[1])
}

/** Every fourth a counter, the rest samples (an escalated message with its label). */
export const inputOf = (n) =>
  n % 4 === 0
    ? {
        id: idOf(n),
        kind: "counter",
        name: "escalations",
        value: 1 + (n % 7),
        attributes: { model: "triage" },
      }
    : {
        id: idOf(n),
        kind: "sample",
        name: "labelled",
        payload: { n, text: `message ${n}`, label: n % 3 },
      }
