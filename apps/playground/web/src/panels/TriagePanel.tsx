import type { Config } from "../Config.js"

/** Placeholder until message triage lands in this panel. */
export const TriagePanel = (_: { readonly config: Config }) => <p>Coming: message triage.</p>
