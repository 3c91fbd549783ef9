/**
 * Distill: the latest distillation report (headline numbers and plots) and
 * the flywheel's rounds as a chart, both from the server (see
 * server/DistillReport.ts for what "latest" means). Reload picks up a
 * report or run the user has just written into the data directory.
 */
import { useCallback, useEffect, useState } from "preact/hooks"
import type { Config } from "../Config.js"
import {
  type FlywheelAnswer,
  type Loaded,
  load,
  type ReportAnswer,
} from "../components/distill/DistillApi.js"
import { FlywheelView } from "../components/distill/FlywheelView.js"
import { ReportView } from "../components/distill/ReportView.js"
import "../components/distill/distill.css"

interface State {
  readonly report?: Loaded<ReportAnswer> | undefined
  readonly flywheel?: Loaded<FlywheelAnswer> | undefined
}

const Failed = ({ what, error }: { readonly what: string; readonly error: string }) => (
  <p class="error" role="alert">
    Could not show {what}: {error}. Press Reload to try again.
  </p>
)

export const DistillPanel = (_: { readonly config: Config }) => {
  const [state, setState] = useState<State>({})
  const [loading, setLoading] = useState(true)
  const reload = useCallback(async () => {
    setLoading(true)
    const [report, flywheel] = await Promise.all([
      load<ReportAnswer>("/api/distill/report"),
      load<FlywheelAnswer>("/api/distill/flywheel"),
    ])
    setState({ report, flywheel })
    setLoading(false)
  }, [])
  useEffect(() => {
    void reload()
  }, [reload])

  const { report, flywheel } = state
  return (
    <div class="distill">
      <p>
        What <code>npx edgeline distill</code> made: the newest report in the playground's data
        directory (<code>apps/playground/.data/distill/&lt;run&gt;/report.json</code>, e.g. from{" "}
        <code>npx edgeline distill report --out apps/playground/.data/distill/&lt;run&gt;</code>),
        else the report of the student this playground ships.
      </p>
      <div class="row">
        <button type="button" class="secondary" onClick={() => void reload()} disabled={loading}>
          Reload
        </button>
        <p aria-live="polite" class="hint">
          {loading
            ? "Loading the latest report and flywheel run…"
            : "Showing the latest report and flywheel run."}
        </p>
      </div>
      {report?.ok === false && <Failed what="the distillation report" error={report.error} />}
      {report?.ok === true && <ReportView answer={report.value} />}
      {flywheel?.ok === false && <Failed what="the flywheel run" error={flywheel.error} />}
      {flywheel?.ok === true && <FlywheelView answer={flywheel.value} />}
    </div>
  )
}
