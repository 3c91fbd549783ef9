/**
 * A pipeline as a row of its stages, with live counts and latency: the
 * runner's `observe` pushes snapshots (from inside the worker), never polled.
 */
import type { Runner } from "@edgeline/core"
import { ms } from "@edgeline/distill/format"
import { useEffect, useState } from "preact/hooks"

export const PipelineView = ({
  name,
  runner,
}: {
  /** What the row is labelled with, e.g. "Voice assistant pipeline". */
  readonly name: string
  readonly runner: Runner.Runner<any, any> | undefined
}) => {
  const [observation, setObservation] = useState<Runner.Observation | undefined>()
  useEffect(() => runner?.observe(setObservation), [runner])
  const stages = observation?.stages ?? []
  return (
    <figure class="pipeline" aria-label={name}>
      <figcaption>
        {name}: <span data-testid="pipeline-status">{observation?.status ?? "starting"}</span>
        {observation !== undefined && observation.models.length > 0 && (
          <span class="models">
            {" · "}
            {observation.models
              .map((m) => `${m.name}${m.version ? ` ${m.version}` : ""}`)
              .join(", ")}
          </span>
        )}
      </figcaption>
      <ol class="stages">
        {stages.map((stage) => (
          <li key={stage.stage} class={`stage stage-${stage.kind}`} data-stage={stage.stage}>
            <span class="kind">{stage.kind}</span>
            <strong class="name">{stage.stage}</strong>
            <span>
              <span data-testid="stage-count">{stage.count}</span> runs
              {stage.failures > 0 && `, ${stage.failures} failed`}
            </span>
            <span>
              last <span data-testid="stage-last-ms">{ms(stage.lastMs)}</span>
            </span>
            <span>mean {ms(stage.meanMs)}</span>
          </li>
        ))}
      </ol>
    </figure>
  )
}
