/** What went wrong, in words: an Error's message (a tagged error's too), or what was thrown. */
export const messageOf = (e: unknown): string =>
  e instanceof Error
    ? e.message
    : typeof e === "object" && e !== null && "message" in e
      ? String(e.message)
      : String(e)
