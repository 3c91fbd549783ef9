import type { Config } from "../Config.js"

/** Placeholder until the voice assistant lands in this panel. */
export const VoiceAssistantPanel = (_: { readonly config: Config }) => (
  <p>Coming: the voice assistant.</p>
)
