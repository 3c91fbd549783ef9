/**
 * Message triage: the recipes' cascade in the device worker (the student
 * on the device, the unsure condensed and escalated to the cloud tier), on
 * a bundled SpamAssassin message or pasted text; running totals of what it
 * saved; and the escalation threshold as a slider over the validation split.
 */
import { useEffect, useMemo, useState } from "preact/hooks"
import samples from "../../samples/triage-samples.json" with { type: "json" }
import type { Config } from "../Config.js"
import { PipelineView } from "../components/PipelineView.js"
import { triageDevice } from "../components/triage/device.js"
import {
  formatThreshold,
  positionOf,
  ThresholdSlider,
  thresholdAt,
} from "../components/triage/ThresholdSlider.js"
import {
  type Run,
  summaryOf,
  TriageResult,
  tokensSaved,
  wantedCloud,
} from "../components/triage/TriageResult.js"
import * as Validation from "../components/triage/validation.js"
import "../components/triage/triage.css"
import { messageOf } from "../messageOf.js"

/** An assumption, shown as one: GPT-4o's list price for input tokens; the reference cloud tier is free. */
const USD_PER_MILLION_INPUT_TOKENS = 2.5

const Totals = ({ runs }: { readonly runs: ReadonlyArray<Run> }) => {
  const wanted = runs.filter(wantedCloud).length
  const saved = runs.reduce((sum, run) => sum + tokensSaved(run), 0)
  return (
    <dl class="totals" aria-label="Running totals">
      <div>
        <dt>Messages</dt>
        <dd data-testid="total-messages">{runs.length}</dd>
      </div>
      <div>
        <dt>Escalation rate</dt>
        <dd data-testid="total-escalation-rate">
          {runs.length === 0 ? "–" : `${((wanted / runs.length) * 100).toFixed(0)} %`} ({wanted})
        </dd>
      </div>
      <div>
        <dt>Tokens saved</dt>
        <dd data-testid="total-tokens-saved">{saved.toLocaleString("en")}</dd>
      </div>
      <div>
        <dt>Cost saved*</dt>
        <dd data-testid="total-cost-saved">
          ${((saved * USD_PER_MILLION_INPUT_TOKENS) / 1e6).toFixed(4)}
        </dd>
      </div>
    </dl>
  )
}

export const TriagePanel = ({ config }: { readonly config: Config }) => {
  const device = useMemo(() => triageDevice(config), [config])
  const [table, setTable] = useState<Validation.ValidationTable | undefined>()
  const [tableError, setTableError] = useState<string | undefined>()
  const [position, setPosition] = useState<number | undefined>()
  const [sample, setSample] = useState(0)
  const [text, setText] = useState(samples[0]?.text ?? "")
  const [runs, setRuns] = useState<ReadonlyArray<Run>>([])
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | undefined>()

  useEffect(() => {
    Validation.load().then(
      (loaded) => {
        setTable(loaded)
        setPosition(positionOf(loaded.student.threshold))
      },
      (e: unknown) => setTableError(messageOf(e)),
    )
  }, [])
  // Live runs meet the slider's threshold (the recipe's policy reads it per message).
  const threshold = position === undefined ? undefined : thresholdAt(position)
  useEffect(() => {
    // A worker that never started says so on Triage; the slider has nothing to add.
    if (threshold !== undefined) device.control.setThreshold(threshold).catch(() => undefined)
  }, [device, threshold])

  const triage = async (texts: ReadonlyArray<string>) => {
    if (texts.some((t) => t.trim() === "")) {
      setError("Paste a message (or pick a sample) first.")
      return
    }
    setBusy(true)
    setError(undefined)
    try {
      const at = threshold ?? table?.student.threshold ?? 0.5
      await device.control.setThreshold(at)
      const done = await Promise.all(
        texts.map(async (t) => {
          const [triaged, tokensFull] = await Promise.all([
            device.runner.run({ text: t }),
            device.control.tokens(t),
          ])
          return { triaged, tokensFull, threshold: at } satisfies Run
        }),
      )
      setRuns((before) => [...before, ...done])
    } catch (e) {
      setError(
        `Triage failed: ${messageOf(e)}. Reload the page; if it persists, check the playground server's output.`,
      )
    } finally {
      setBusy(false)
    }
  }

  const last = runs.at(-1)
  return (
    <>
      <p>
        A distilled student labels each message on the device; only what it is unsure of is
        condensed (cleaned, personal data masked, cut to a token budget) and sent to the cloud
        model. The student is the <code>message-triage</code> model the Models panel keeps current.
      </p>
      <div class="grid-2">
        <form
          onSubmit={(e) => {
            e.preventDefault()
            void triage([text])
          }}
        >
          <p>
            <label for="triage-sample">Sample message (SpamAssassin corpus)</label>
            <br />
            <select
              id="triage-sample"
              value={sample}
              onChange={(e) => {
                const index = Number((e.target as HTMLSelectElement).value)
                setSample(index)
                setText(samples[index]?.text ?? "")
              }}
            >
              {samples.map((s, i) => (
                <option key={s.id} value={i}>
                  {s.title}
                </option>
              ))}
            </select>
          </p>
          <p>
            <label for="triage-text">Message text (a raw mail or any text; paste your own)</label>
            <textarea
              id="triage-text"
              class="triage-text"
              rows={12}
              value={text}
              onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
            />
          </p>
          <div class="row">
            <button type="submit" disabled={busy}>
              Triage
            </button>
            <button
              type="button"
              class="secondary"
              disabled={busy}
              onClick={() => void triage(samples.map((s) => s.text))}
            >
              Triage all {samples.length} samples
            </button>
          </div>
        </form>
        <div>
          <h3>Result</h3>
          {error !== undefined && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
          {/* Only this line is announced: the result below holds the whole prompt. */}
          <p aria-live="polite" data-testid="triage-summary">
            {busy
              ? "Triaging…"
              : last === undefined
                ? "Pick a sample or paste a message, then press Triage."
                : summaryOf(last)}
          </p>
          {last !== undefined && <TriageResult run={last} />}
        </div>
      </div>
      <h3>Running totals</h3>
      <Totals runs={runs} />
      <p class="hint">
        Tokens saved: what sending every message whole would cost, less what was sent (or would have
        been, for an escalation the cloud could not take). *Cost at an assumed $
        {USD_PER_MILLION_INPUT_TOKENS.toFixed(2)} per million input tokens (GPT-4o's list price);
        the reference cloud tier here charges nothing.
      </p>
      <h3>Escalation threshold</h3>
      {tableError !== undefined && (
        <p class="error" role="alert">
          {tableError}
        </p>
      )}
      {table !== undefined && position !== undefined && (
        <ThresholdSlider table={table} position={position} onChange={setPosition} />
      )}
      {threshold !== undefined && (
        <p class="hint">Live runs escalate below {formatThreshold(threshold)}.</p>
      )}
      <PipelineView name="Message triage pipeline" runner={device.runner} />
    </>
  )
}
