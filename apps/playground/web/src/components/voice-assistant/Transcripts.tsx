/**
 * What the cloud heard after each wake word, or why it could not: a wake is
 * always detected on the device; only its transcript needs the cloud.
 */
import type { VoiceAssistant } from "@edgeline/recipes"
import { ScrollX } from "../ScrollX.js"

const percent = (seconds: number, of: number) =>
  `${((seconds / Math.max(of, 1e-9)) * 100).toFixed(1)} %`

/** The share of the recording the cloud received (a degraded wake's audio never arrived). */
const Share = ({ result }: { readonly result: VoiceAssistant.Result }) => {
  const share = <strong>{percent(result.audioSentSeconds, result.inputSeconds)}</strong>
  const of = `of the audio (${result.audioSentSeconds.toFixed(1)} s of ${result.inputSeconds.toFixed(1)} s)`
  if (result.wakes.length > 0 && result.wakes.every((w) => w.degraded)) {
    const tried = result.wakes.reduce((s, w) => s + w.audioSeconds, 0)
    return (
      <p data-testid="share-sent">
        Sent to the cloud: {share} {of}. The cloud was unreachable, so the {tried.toFixed(1)} s
        after the wakes never left the device either.
      </p>
    )
  }
  const undelivered = result.wakes.filter((w) => w.degraded).length
  return (
    <p data-testid="share-sent">
      Sent to the cloud: {share} {of}
      {undelivered > 0 &&
        `; the audio after ${undelivered} wake${undelivered === 1 ? "" : "s"} could not be delivered`}
      ; the rest never left the device.
    </p>
  )
}

export const Transcripts = ({ result }: { readonly result: VoiceAssistant.Result }) => {
  return (
    <div class="va-transcripts">
      <Share result={result} />
      {result.wakes.length === 0 ? (
        <p data-testid="no-wakes">
          No “hey jarvis” was heard, so nothing was sent. Say “hey jarvis” and then your request.
        </p>
      ) : (
        <ScrollX label="Transcripts">
          <table data-testid="wakes">
            <caption>Transcripts, one per wake word</caption>
            <thead>
              <tr>
                <th scope="col">Wake at</th>
                <th scope="col">Score</th>
                <th scope="col">Sent</th>
                <th scope="col">What the cloud heard</th>
              </tr>
            </thead>
            <tbody>
              {result.wakes.map((wake) => (
                <tr key={wake.at} data-testid="wake" data-degraded={wake.degraded}>
                  <td>{wake.at.toFixed(2)} s</td>
                  <td>{wake.score.toFixed(2)}</td>
                  <td>{wake.audioSeconds.toFixed(1)} s</td>
                  <td>
                    {wake.degraded ? (
                      <span class="degraded" data-testid="degraded">
                        Degraded: not transcribed, the cloud was unreachable
                        {wake.reason !== undefined && ` (${wake.reason})`}. The wake was still heard
                        on the device; switch Online and run again for the transcript.
                      </span>
                    ) : (
                      <q data-testid="transcript">{wake.transcript}</q>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollX>
      )}
    </div>
  )
}
