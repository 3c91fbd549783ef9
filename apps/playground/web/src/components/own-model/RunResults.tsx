/** The last run's outputs (dims and first values) and the times of the runs so far. */

import { ms } from "@edgeline/distill/format"
import { ScrollX } from "../ScrollX.js"
import type { OutputSummary } from "./OwnModelSetup.js"

export interface Timed {
  readonly outputs: ReadonlyArray<OutputSummary>
  /** Round trip of each run from the page, in ms. */
  readonly times: ReadonlyArray<number>
}

export const RunResults = ({ result }: { readonly result: Timed }) => {
  const { outputs, times } = result
  const mean = times.reduce((a, b) => a + b, 0) / times.length
  return (
    <div>
      <p data-testid="own-model-timing">
        {times.length === 1
          ? `1 run: ${ms(times[0]!)}`
          : `${times.length} runs: mean ${ms(mean)}, min ${ms(Math.min(...times))}`}{" "}
        (page to worker and back)
      </p>
      <ScrollX label="Outputs of the last run">
        <table data-testid="own-model-outputs">
          <caption>Outputs of the last run</caption>
          <thead>
            <tr>
              <th scope="col">Output</th>
              <th scope="col">Type</th>
              <th scope="col">Shape</th>
              <th scope="col">First values</th>
            </tr>
          </thead>
          <tbody>
            {outputs.map((o) => (
              <tr key={o.name} data-name={o.name}>
                <td>
                  <code>{o.name}</code>
                </td>
                <td>{o.dtype}</td>
                <td>[{o.dims.join(", ")}]</td>
                <td data-testid="output-values">
                  {o.first.join(", ")}
                  {o.count > o.first.length && ` … (${o.count} values)`}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollX>
    </div>
  )
}
