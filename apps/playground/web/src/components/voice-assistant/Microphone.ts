/**
 * Recording from the microphone as a WAV's bytes: getUserMedia → an
 * AudioContext at 16 kHz (the browser resamples) → an AudioWorklet that
 * passes the raw blocks back → 16-bit PCM WAV when stopped, the same bytes
 * an uploaded file gives the assistant.
 */
import { WavEncode } from "@edgeline/recipes"
import recorderUrl from "./pcm-recorder.worklet.ts?worker&url"

export const RATE = 16_000

export interface Recording {
  /** Seconds recorded so far. */
  readonly seconds: () => number
  /** Stops and gives the recording as a 16 kHz mono 16-bit WAV. */
  readonly stop: () => Promise<Uint8Array>
}

/** What to tell the user when the microphone cannot be opened. */
export const problemOf = (e: unknown): string => {
  const name = (e as { name?: string }).name
  if (name === "NotAllowedError")
    return "The browser did not allow the microphone: allow it for this page (the icon in the address bar) and press Record again."
  if (name === "NotFoundError")
    return "No microphone was found: connect one, or use the bundled sample or a WAV file."
  if (name === "NotReadableError")
    return "The microphone is busy in another application: close it there and press Record again."
  return `The microphone could not be opened (${String(e)}): use the bundled sample or a WAV file instead.`
}

export const record = async (): Promise<Recording> => {
  if (navigator.mediaDevices?.getUserMedia === undefined) {
    throw new Error("this browser offers no microphone access here")
  }
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: {
      channelCount: 1,
      echoCancellation: false,
      noiseSuppression: false,
      autoGainControl: false,
    },
  })
  // Until the recorder runs, any failure must release the microphone and the context.
  let context: AudioContext | undefined
  try {
    context = new AudioContext({ sampleRate: RATE })
    await context.audioWorklet.addModule(recorderUrl)
    const source = context.createMediaStreamSource(stream)
    const recorder = new AudioWorkletNode(context, "pcm-recorder")
    return collect(stream, context, source, recorder)
  } catch (e) {
    for (const track of stream.getTracks()) track.stop()
    await context?.close().catch(() => undefined)
    throw e
  }
}

/** Collects the recorder's blocks until stopped. */
const collect = (
  stream: MediaStream,
  context: AudioContext,
  source: MediaStreamAudioSourceNode,
  recorder: AudioWorkletNode,
): Recording => {
  const blocks: Array<Float32Array> = []
  let samples = 0
  recorder.port.onmessage = ({ data }: MessageEvent<Float32Array>) => {
    blocks.push(data)
    samples += data.length
  }
  source.connect(recorder)
  // A node nobody listens to may not be run: connect it (it outputs silence).
  recorder.connect(context.destination)
  return {
    seconds: () => samples / context.sampleRate,
    stop: async () => {
      source.disconnect()
      recorder.disconnect()
      for (const track of stream.getTracks()) track.stop()
      const rate = context.sampleRate
      await context.close()
      const pcm = new Int16Array(samples)
      let at = 0
      for (const block of blocks) {
        for (let i = 0; i < block.length; i++) {
          pcm[at++] = Math.round(Math.max(-1, Math.min(1, block[i]!)) * 32767)
        }
      }
      return WavEncode.encodePcm16(pcm, rate)
    },
  }
}
