import type { Config } from "../Config.js"

/** Placeholder until the sync panel lands in this panel. */
export const ModelsPanel = (_: { readonly config: Config }) => <p>Coming: the sync panel.</p>
