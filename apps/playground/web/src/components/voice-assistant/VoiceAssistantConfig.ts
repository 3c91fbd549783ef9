/** What the page tells the voice-assistant worker, in the worker's name (a worker has no other start-up argument). */
export interface VoiceAssistantConfig {
  /** The cloud's OpenAI-compatible base, on the page's origin (behind the offline switch). */
  readonly baseUrl: string
  readonly chatModel: string
  /** The cloud's speech recogniser (PocketSphinx in the reference tier). */
  readonly transcriptionModel: string
}
