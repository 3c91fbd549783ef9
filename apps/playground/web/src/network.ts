/** The page's link to the registry and the cloud, as the server's switch has it (server/NetworkSwitch.ts). */

type Listener = (online: boolean) => void
const listeners = new Set<Listener>()

/** Cuts or restores the link; tells every panel. */
export const setOnline = async (online: boolean): Promise<boolean> => {
  const response = await fetch("/api/network", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ online }),
  })
  if (!response.ok) throw new Error(`/api/network answered ${response.status}`)
  const state = ((await response.json()) as { online: boolean }).online
  for (const listener of listeners) listener(state)
  return state
}

/** Calls `listener` when the switch is flipped; returns the unsubscribe. */
export const onNetworkChange = (listener: Listener): (() => void) => {
  listeners.add(listener)
  return () => listeners.delete(listener)
}
