/**
 * Models: the sync client in the triage worker (the device), against the dev
 * registry. Each model's active version on this device, the one a rollback
 * returns to, and what the registry's channel offers; Update checks the
 * registry and downloads and activates what changed (the running triage
 * pipeline switches to it); Rollback returns to the previous version. The
 * client's status events make the log.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks"
import type { Config } from "../Config.js"
import { triageDevice } from "../components/triage/device.js"
import { onNetworkChange } from "../network.js"
import "../components/triage/triage.css"
import { kib } from "@edgeline/distill/format"
import { messageOf } from "../messageOf.js"
import type { ModelsView, OfferedVersion, StatusEvent } from "../workers/triage.protocol.js"

/** A status event as a line of the log. */
const describe = (status: StatusEvent): string => {
  switch (status._tag) {
    case "Checking":
      return `Checking the "${status.channel}" channel…`
    case "UpToDate":
      return `Up to date with manifest ${status.version}.`
    case "Waiting":
      return `Waiting: ${status.reason}.`
    case "Downloading":
      return `Downloading ${status.model} ${status.version}: ${kib(status.done)} of ${kib(status.total)}.`
    case "Activated":
      return `Activated ${status.model} ${status.to}${status.from === undefined ? "" : ` (was ${status.from})`}.`
    case "Rejected":
      return `Refused ${status.model} ${status.version}: ${status.reason}.`
    case "RolledBack":
      return `Rolled ${status.model} back from ${status.from} to ${status.to}${status.reason === undefined ? "" : ` (${status.reason})`}.`
    case "CheckFailed":
      return `Check failed: ${status.message}`
  }
}

interface LogLine {
  /** Its own key: the log is trimmed from the front, so positions shift. */
  readonly id: number
  readonly at: string
  readonly text: string
  readonly bad: boolean
}

type Progress = Extract<StatusEvent, { _tag: "Downloading" }>

export const ModelsPanel = ({ config }: { readonly config: Config }) => {
  const device = useMemo(() => triageDevice(config), [config])
  const [view, setView] = useState<ModelsView | undefined>()
  const [busy, setBusy] = useState(false)
  const [outcome, setOutcome] = useState<{ ok: boolean; message: string } | undefined>()
  const [progress, setProgress] = useState<Progress | undefined>()
  const [log, setLog] = useState<ReadonlyArray<LogLine>>([])
  const lines = useRef(0)
  /** The latest read asked for: an older one that answers late (a slow offline read) is dropped. */
  const reads = useRef(0)

  const refresh = useCallback(() => {
    const read = ++reads.current
    return device.control.models().then(
      (fresh) => {
        if (read === reads.current) setView(fresh)
      },
      (e: unknown) => {
        if (read === reads.current) {
          setOutcome({ ok: false, message: `Could not read the models: ${messageOf(e)}` })
        }
      },
    )
  }, [device])
  useEffect(() => {
    void refresh()
    return device.onStatus((status) => {
      if (status._tag === "Downloading") {
        // One line per download start and end, not per chunk; the bar shows the rest.
        setProgress(status)
        if (status.done !== 0 && status.done !== status.total) return
      }
      const line = {
        id: lines.current++,
        at: new Date().toLocaleTimeString("en-GB"),
        text: describe(status),
        bad: status._tag === "CheckFailed" || status._tag === "Rejected",
      }
      setLog((before) => [...before.slice(-19), line])
      if (status._tag === "Activated" || status._tag === "RolledBack") void refresh()
    })
  }, [device, refresh])

  // What the registry offers is read again when the link comes and goes.
  useEffect(() => onNetworkChange(() => void refresh()), [refresh])

  const act = async (action: () => Promise<{ ok: boolean; message: string }>) => {
    setBusy(true)
    setOutcome(undefined)
    // A failed check reaches the log by itself: the client reports it as a status.
    const done = await action().catch((e: unknown) => ({ ok: false, message: messageOf(e) }))
    // The view is read again before the outcome shows, so the two agree.
    await refresh()
    setOutcome(done)
    setBusy(false)
  }

  const names = [
    ...new Set([
      ...(view?.wanted ?? []),
      ...Object.keys(view?.installed ?? {}),
      ...(view?.offered?.models.map((m) => m.name) ?? []),
    ]),
  ]
  const offeredOf = (name: string): OfferedVersion | undefined =>
    view?.offered?.models.find((m) => m.name === name)

  return (
    <>
      <p>
        The device's sync client (in the triage worker, stored in IndexedDB) against the dev
        registry's <code>{config.channel}</code> channel. Updates are verified (signature, hashes)
        before they become active; the running pipeline switches without a restart.
      </p>
      <div class="row">
        <button type="button" disabled={busy} onClick={() => void act(device.control.update)}>
          Update
        </button>
        <button type="button" class="secondary" disabled={busy} onClick={() => void refresh()}>
          Refresh
        </button>
      </div>
      {progress !== undefined && (
        <p>
          <label for="sync-progress">
            Download of {progress.model} {progress.version}: {kib(progress.done)} of{" "}
            {kib(progress.total)}
          </label>{" "}
          <progress
            id="sync-progress"
            data-testid="sync-progress"
            value={progress.done}
            max={Math.max(1, progress.total)}
          />
        </p>
      )}
      <div aria-live="polite">
        {outcome !== undefined && (
          <p class={outcome.ok ? "" : "error"} data-testid="sync-outcome">
            {outcome.message}
          </p>
        )}
      </div>
      {view?.offeredError !== undefined && (
        <p class="degraded" data-testid="registry-error">
          The registry cannot be read now ({view.offeredError}); this device keeps running its
          active models.
        </p>
      )}
      {view?.storeError !== undefined ? (
        <p class="degraded" data-testid="store-error">
          Sync is off: this device's model store (IndexedDB) cannot be opened ({view.storeError}).
          Triage runs the student bundled with the page. Allow this site to store data, then reload
          the page.
        </p>
      ) : (
        view?.serving === "bundled" && (
          <p class="degraded" data-testid="serving-bundled">
            Nothing synced on this device yet
            {view.bundledBecause === undefined ? "" : ` (${view.bundledBecause})`}: triage runs the
            student bundled with the page. Press Update when the registry is reachable.
          </p>
        )
      )}
      <h3>
        Models
        {view?.offered === undefined ? "" : ` (registry manifest ${view.offered.version})`}
      </h3>
      <ul class="model-list">
        {names.map((name) => {
          const installed = view?.installed[name]
          const offered = offeredOf(name)
          const wanted = view?.wanted.includes(name) ?? false
          return (
            <li key={name} data-model={name}>
              <h4>{name}</h4>
              <dl>
                <div>
                  <dt>Active here</dt>
                  <dd data-testid="active-version">
                    {installed === undefined
                      ? wanted
                        ? "none yet"
                        : "not used on this page"
                      : `${installed.active.version} (${kib(installed.active.size)})`}
                  </dd>
                </div>
                <div>
                  <dt>Previous</dt>
                  <dd data-testid="previous-version">{installed?.previous?.version ?? "–"}</dd>
                </div>
                <div>
                  <dt>
                    Offered by the registry{view?.offeredError === undefined ? "" : " (last read)"}
                  </dt>
                  <dd data-testid="offered-version">
                    {offered === undefined
                      ? "–"
                      : `${offered.version} (${kib(offered.size)})${
                          offered.threshold === undefined ? "" : `, threshold ${offered.threshold}`
                        }`}
                  </dd>
                </div>
              </dl>
              <button
                type="button"
                class="secondary"
                disabled={busy || installed?.previous === undefined}
                aria-label={`Roll back ${name}`}
                onClick={() => void act(() => device.control.rollback(name))}
              >
                Roll back
              </button>
            </li>
          )
        })}
      </ul>
      <h3 id="sync-log-title">Status log</h3>
      <div role="log" aria-live="polite" aria-labelledby="sync-log-title">
        <ol class="sync-log">
          {log.map((line) => (
            <li key={line.id} class={line.bad ? "error" : ""}>
              <time>{line.at}</time> {line.text}
            </li>
          ))}
        </ol>
      </div>
    </>
  )
}
