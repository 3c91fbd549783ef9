/**
 * The voice assistant: a recording (the bundled sample, a WAV file or the
 * microphone) goes through the recipes' pipeline in a Web Worker. Silero
 * keeps only the speech, openWakeWord listens for "hey jarvis" in it, and
 * only the words after a wake go to the cloud for a transcript. Offline,
 * the wakes are still heard on the device and show as degraded.
 */

import type { VoiceAssistant } from "@edgeline/recipes"
import { connectWorker } from "@edgeline/runtime-web"
import { useEffect, useRef, useState } from "preact/hooks"
import sampleUrl from "../../../../../packages/recipes/test/fixtures/wake/flite-slt.wav?url"
import { type Config, cloudBase } from "../Config.js"
import { PipelineView } from "../components/PipelineView.js"
import * as Microphone from "../components/voice-assistant/Microphone.js"
import * as Recording from "../components/voice-assistant/Recording.js"
import { Transcripts } from "../components/voice-assistant/Transcripts.js"
import type { VoiceAssistantConfig } from "../components/voice-assistant/VoiceAssistantConfig.js"
import { Waveform } from "../components/voice-assistant/Waveform.js"
import "../components/voice-assistant/voice-assistant.css"
import { messageOf } from "../messageOf.js"
import { onNetworkChange } from "../network.js"

type Assistant = VoiceAssistant.Assistant
type Runner = ReturnType<typeof connectWorker<Assistant>>

const startWorker = (config: Config): Runner => {
  const workerConfig: VoiceAssistantConfig = {
    baseUrl: cloudBase(location.origin),
    chatModel: config.chatModel,
    transcriptionModel: config.transcriptionModel,
  }
  return connectWorker<Assistant>(
    new Worker(new URL("../workers/voice-assistant.worker.ts", import.meta.url), {
      type: "module",
      name: JSON.stringify(workerConfig),
    }),
  )
}

export const VoiceAssistantPanel = ({ config }: { readonly config: Config }) => {
  const [runner, setRunner] = useState<Runner | undefined>()
  const [online, setOnline] = useState(config.online)
  const [busy, setBusy] = useState(false)
  const [status, setStatus] = useState("Choose a recording.")
  const [error, setError] = useState<string | undefined>()
  const [envelope, setEnvelope] = useState<Recording.Envelope | undefined>()
  const [result, setResult] = useState<VoiceAssistant.Result | undefined>()
  const [recording, setRecording] = useState<Microphone.Recording | undefined>()
  // While the browser asks for the microphone: Record stays disabled, so one press is one capture.
  const [starting, setStarting] = useState(false)
  const [recorded, setRecorded] = useState(0)
  const upload = useRef<HTMLInputElement>(null)
  // The capture under way, and whether the panel is still shown: leaving stops the microphone.
  const live = useRef<Microphone.Recording | undefined>()
  const mounted = useRef(true)

  useEffect(() => {
    const started = startWorker(config)
    setRunner(started)
    return () => {
      void started.close()
    }
  }, [config])
  useEffect(() => onNetworkChange(setOnline), [])
  useEffect(
    () => () => {
      mounted.current = false
      void live.current?.stop().catch(() => undefined)
      live.current = undefined
    },
    [],
  )
  useEffect(() => {
    if (recording === undefined) return
    const timer = setInterval(() => setRecorded(recording.seconds()), 250)
    return () => clearInterval(timer)
  }, [recording])

  /** Reads the recording, decodes it for the waveform, then runs the assistant on it in the worker. */
  const analyse = async (read: () => Promise<Uint8Array>, label: string) => {
    if (runner === undefined) return
    setBusy(true)
    setError(undefined)
    setResult(undefined)
    try {
      let wav: Uint8Array
      try {
        wav = await read()
      } catch (e) {
        setStatus(`${label} could not be loaded.`)
        setError(`${messageOf(e)}: try again, or reload the page.`)
        return
      }
      const decoded = await Recording.decode(wav)
      if ("problem" in decoded) {
        setEnvelope(undefined)
        setStatus(`${label} could not be read.`)
        setError(decoded.problem)
        return
      }
      setEnvelope(decoded)
      setStatus(`Listening to ${label} (${decoded.seconds.toFixed(1)} s)…`)
      const started = performance.now()
      const heard = await runner.run(wav, { transfer: false })
      setResult(heard)
      const degraded = heard.wakes.filter((w) => w.degraded).length
      setStatus(
        `${label}: ${heard.wakes.length} wake word${heard.wakes.length === 1 ? "" : "s"} heard` +
          `${degraded > 0 ? `, ${degraded} not transcribed (the cloud was unreachable)` : ""}` +
          ` in ${((performance.now() - started) / 1000).toFixed(1)} s.`,
      )
    } catch (e) {
      setStatus(`${label}: the assistant failed.`)
      setError(`${messageOf(e)}. Try again; if it keeps failing, reload the page.`)
    } finally {
      setBusy(false)
    }
  }

  const runSample = () =>
    analyse(async () => {
      const response = await fetch(sampleUrl)
      if (!response.ok) throw new Error(`the server answered ${response.status} for the sample`)
      return new Uint8Array(await response.arrayBuffer())
    }, "Bundled sample")

  const runFile = () => {
    const input = upload.current
    const file = input?.files?.[0]
    if (input === null || file === undefined) return
    // Cleared, so choosing the same file again is a change too (the File stays readable).
    input.value = ""
    return analyse(async () => new Uint8Array(await file.arrayBuffer()), file.name)
  }

  const startRecording = async () => {
    setError(undefined)
    setStarting(true)
    setStatus("Opening the microphone…")
    try {
      const started = await Microphone.record()
      if (!mounted.current) {
        void started.stop().catch(() => undefined)
        return
      }
      live.current = started
      setRecorded(0)
      setRecording(started)
      setStatus("Recording from the microphone: say “hey jarvis”, then a request.")
    } catch (e) {
      if (!mounted.current) return
      setStatus("The microphone is not available.")
      setError(Microphone.problemOf(e))
    } finally {
      if (mounted.current) setStarting(false)
    }
  }

  const stopRecording = async () => {
    if (recording === undefined) return
    live.current = undefined
    setRecording(undefined)
    await analyse(() => recording.stop(), "Your recording")
  }

  const idle = runner !== undefined && !busy && !starting && recording === undefined
  return (
    <div class="voice-assistant">
      <p>
        Only speech leaves the gate, only what follows “hey jarvis” goes to the cloud (PocketSphinx
        in the reference tier), and everything before that runs here, in a Web Worker.
      </p>
      {!online && (
        <p class="degraded" data-testid="offline-note">
          Offline: the gate and the wake word still run on this device; the wakes show as degraded,
          without a transcript.
        </p>
      )}
      <div class="va-sources">
        <div class="va-source">
          <h3>Bundled sample</h3>
          <p>
            15 s of flite speech: two “hey jarvis” requests among other talk, including “the jar is
            very heavy”.
          </p>
          <button type="button" onClick={runSample} disabled={!idle}>
            Run the sample
          </button>
        </div>
        <div class="va-source">
          <h3>Your WAV file</h3>
          <label for="va-upload">Upload a WAV file (any rate, mono or stereo)</label>
          <input
            id="va-upload"
            ref={upload}
            type="file"
            accept=".wav,audio/wav,audio/x-wav,audio/wave"
            onChange={runFile}
            disabled={!idle}
          />
        </div>
        <div class="va-source">
          <h3>Microphone</h3>
          {/* One button that changes its label, so keyboard focus stays on it. */}
          <button
            type="button"
            class={recording === undefined ? undefined : "secondary"}
            onClick={recording === undefined ? startRecording : stopRecording}
            disabled={recording === undefined && !idle}
          >
            {recording === undefined ? "Record" : `Stop and run (${recorded.toFixed(0)} s)`}
          </button>
        </div>
      </div>
      <p role="status" aria-live="polite" data-testid="assistant-status">
        {status}
      </p>
      {error !== undefined && (
        <p class="error" role="alert" data-testid="assistant-error">
          {error}
        </p>
      )}
      {envelope !== undefined && <Waveform envelope={envelope} result={result} />}
      {result !== undefined && <Transcripts result={result} />}
      <PipelineView name="Voice assistant pipeline" runner={runner} />
    </div>
  )
}
