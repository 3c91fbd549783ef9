/** A model's declared inputs or outputs: name, element type, dims (symbolic ones by name). */
import type { InferenceBackend } from "@edgeline/core"
import { ScrollX } from "../ScrollX.js"
import { dimText } from "./OwnModelSetup.js"

export const SignatureTable = ({
  caption,
  values,
}: {
  readonly caption: string
  readonly values: ReadonlyArray<InferenceBackend.ValueInfo>
}) => (
  <ScrollX label={caption}>
    <table data-testid={`signature-${caption.toLowerCase()}`}>
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Type</th>
          <th scope="col">Shape</th>
        </tr>
      </thead>
      <tbody>
        {values.map((v) => (
          <tr key={v.name} data-name={v.name}>
            <td>
              <code>{v.name}</code>
            </td>
            <td>{v.dtype}</td>
            <td>[{v.dims.map(dimText).join(", ")}]</td>
          </tr>
        ))}
      </tbody>
    </table>
  </ScrollX>
)
