/** IndexedDB databases a browser test makes for itself, and deletes afterwards. */

export const deleteDatabase = (name: string) =>
  new Promise<void>((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name)
    request.onsuccess = () => resolve()
    request.onerror = () => reject(request.error)
  })

/** A database name no other test uses; `cleanups` deletes it after the test. */
export const scratchDatabase = (prefix: string, cleanups: Array<() => Promise<void>>) => {
  const name = `${prefix}-${crypto.randomUUID()}`
  cleanups.push(() => deleteDatabase(name))
  return name
}
