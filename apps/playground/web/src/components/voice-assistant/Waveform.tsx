/**
 * The recording's waveform with the gate's speech segments shaded and each
 * wake word marked; the same facts as text below it, for screen readers and
 * for anyone who wants the numbers.
 */
import type { VoiceAssistant } from "@edgeline/recipes"
import type { Envelope } from "./Recording.js"

const WIDTH = 1000
const HEIGHT = 140
const MID = HEIGHT / 2

const s = (x: number) => `${x.toFixed(2)} s`

export const Waveform = ({
  envelope,
  result,
}: {
  readonly envelope: Envelope
  /** Undefined while the assistant is still running: only the audio is drawn. */
  readonly result: VoiceAssistant.Result | undefined
}) => {
  const x = (seconds: number) => (seconds / Math.max(envelope.seconds, 1e-9)) * WIDTH
  const columns = envelope.min.length
  let path = ""
  for (let c = 0; c < columns; c++) {
    const px = ((c + 0.5) / columns) * WIDTH
    // At least a hairline, so silence still reads as a line.
    const top = MID - Math.max(envelope.max[c]! * MID, 0.5)
    const bottom = MID - Math.min(envelope.min[c]! * MID, -0.5)
    path += `M${px.toFixed(1)} ${top.toFixed(1)}V${bottom.toFixed(1)}`
  }
  const speech = result?.speech ?? []
  const wakes = result?.wakes ?? []
  const summary =
    result === undefined
      ? `Waveform of ${s(envelope.seconds)} of audio.`
      : `Waveform of ${s(envelope.seconds)} of audio: ${speech.length} speech segments shaded, ${wakes.length} wake words marked.`
  return (
    <figure class="va-waveform">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={summary}
        data-testid="waveform"
      >
        {speech.map((segment) => (
          <rect
            key={segment.start}
            class="va-speech"
            data-testid="speech-segment"
            x={x(segment.start)}
            y={0}
            width={Math.max(1, x(segment.end) - x(segment.start))}
            height={HEIGHT}
          />
        ))}
        <path class="va-signal" d={path} vector-effect="non-scaling-stroke" />
        {wakes.map((wake) => (
          <line
            key={wake.at}
            class={wake.degraded ? "va-wake va-wake-degraded" : "va-wake"}
            data-testid="wake-mark"
            x1={x(wake.at)}
            x2={x(wake.at)}
            y1={0}
            y2={HEIGHT}
            vector-effect="non-scaling-stroke"
          />
        ))}
      </svg>
      <figcaption>
        <ul class="va-legend">
          <li>
            <span class="va-key va-key-speech" aria-hidden="true" /> Speech the gate kept
            {speech.length > 0 && `: ${speech.map((g) => `${s(g.start)}–${s(g.end)}`).join(", ")}`}
          </li>
          <li>
            <span class="va-key va-key-wake" aria-hidden="true" /> “Hey Jarvis” heard
            {wakes.length > 0 && ` at ${wakes.map((w) => s(w.at)).join(", ")}`}
          </li>
          {wakes.some((w) => w.degraded) && (
            <li>
              <span class="va-key va-key-degraded" aria-hidden="true" /> Dashed: heard on the
              device, not transcribed (the cloud was unreachable)
            </li>
          )}
        </ul>
      </figcaption>
    </figure>
  )
}
