/** Where the user gives their .onnx file: dropped on the zone, or chosen with the file input. */
import { useState } from "preact/hooks"

export const ModelDrop = ({ onFile }: { readonly onFile: (file: File) => void }) => {
  const [dragging, setDragging] = useState(false)
  return (
    <label
      class={`drop-zone${dragging ? " dragging" : ""}`}
      onDragOver={(e) => {
        e.preventDefault()
        setDragging(true)
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => {
        e.preventDefault()
        setDragging(false)
        const file = e.dataTransfer?.files[0]
        if (file !== undefined) onFile(file)
      }}
    >
      <span>ONNX model file (drop it here, or choose)</span>
      <input
        type="file"
        accept=".onnx"
        data-testid="own-model-file"
        onChange={(e) => {
          const input = e.currentTarget as HTMLInputElement
          const file = input.files?.[0]
          // Cleared, so choosing the same file again loads it again (the File stays readable).
          input.value = ""
          if (file !== undefined) onFile(file)
        }}
      />
    </label>
  )
}
