/**
 * An AudioWorklet that hands the page each block of microphone audio as it
 * arrives (mono, at the AudioContext's rate): the live PCM that
 * MediaRecorder, which only gives compressed audio, does not.
 */

// The worklet scope's globals (not in TypeScript's DOM library).
declare class AudioWorkletProcessor {
  readonly port: MessagePort
}
declare function registerProcessor(name: string, processor: new () => AudioWorkletProcessor): void

class PcmRecorder extends AudioWorkletProcessor {
  process(inputs: ReadonlyArray<ReadonlyArray<Float32Array>>): boolean {
    const channel = inputs[0]?.[0]
    // The block's buffer is reused by the browser: post a copy.
    if (channel !== undefined && channel.length > 0) this.port.postMessage(channel.slice())
    return true
  }
}

registerProcessor("pcm-recorder", PcmRecorder)
