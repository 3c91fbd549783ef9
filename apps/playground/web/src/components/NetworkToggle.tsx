/**
 * The offline switch: asks the server to cut (or restore) the page's link
 * to the registry and the cloud. Inference keeps running on the
 * active models; escalations come back degraded.
 */
import { useState } from "preact/hooks"
import { setOnline } from "../network.js"

export const NetworkToggle = ({ initial }: { readonly initial: boolean }) => {
  const [online, setState] = useState(initial)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | undefined>()
  const toggle = async () => {
    setBusy(true)
    setError(undefined)
    try {
      setState(await setOnline(!online))
    } catch (e) {
      setError(`could not reach the playground server: ${String(e)}`)
    } finally {
      setBusy(false)
    }
  }
  return (
    <div class="network">
      {/* The name stays "Online"; aria-checked says whether it is (a name that flipped would read "Offline, off"). */}
      <button
        type="button"
        role="switch"
        aria-label="Online"
        aria-checked={online}
        aria-describedby="network-hint"
        disabled={busy}
        onClick={toggle}
        data-testid="network-switch"
      >
        {online ? "Online" : "Offline"}
      </button>
      <span class="hint" id="network-hint">
        {online ? "registry and cloud reachable" : "cut off: local inference only"}
      </span>
      {error !== undefined && <span role="alert">{error}</span>}
    </div>
  )
}
