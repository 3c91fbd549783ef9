/** The message of anything thrown: an Error's own, otherwise its string form. */
export const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e))
