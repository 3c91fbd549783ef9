/**
 * What the cloud heard after each wake word, or why it could not: a wake is
 * always detected on the device; only its transcript needs the cloud.
 */
import type { VoiceAssistant } from "@edgeline/recipes"

const percent = (seconds: number, of: number) =>
  `${((seconds / Math.max(of, 1e-9)) * 100).toFixed(1)} %`

/** The share of the recording that went to the cloud; a failed call's audio counts as tried, not delivered. */
const Share = ({ result }: { readonly result: VoiceAssistant.Result }) => {
  const undelivered = result.wakes.reduce((s, w) => s + (w.degraded ? w.audioSeconds : 0), 0)
  const of = `of the audio (${result.audioSentSeconds.toFixed(1)} s of ${result.inputSeconds.toFixed(1)} s)`
  if (undelivered > 0 && undelivered >= result.audioSentSeconds)
    return (
      <p data-testid="share-sent">
        To the cloud: <strong>{percent(result.audioSentSeconds, result.inputSeconds)}</strong> {of}{" "}
        was to go, but the cloud was unreachable, so none of it left the device.
      </p>
    )
  return (
    <p data-testid="share-sent">
      Sent to the cloud: <strong>{percent(result.audioSentSeconds, result.inputSeconds)}</strong>{" "}
      {of}
      {undelivered > 0 && `, of which ${undelivered.toFixed(1)} s could not be delivered`}; the rest
      never left the device.
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
        <div class="scroll-x">
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
        </div>
      )}
    </div>
  )
}
