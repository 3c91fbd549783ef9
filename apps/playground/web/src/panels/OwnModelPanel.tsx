import type { Config } from "../Config.js"

/** Placeholder until your own model lands in this panel. */
export const OwnModelPanel = (_: { readonly config: Config }) => <p>Coming: your own model.</p>
