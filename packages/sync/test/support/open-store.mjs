/**
 * `node open-store.mjs <directory>`: opens a file store there and prints
 * `{"opened": true}` or the failure's `{"tag", "message"}`. The permission
 * test runs it as another user (root may write anywhere).
 */
import { FileStore } from "@edgeline/sync/node"

await FileStore.open(process.argv[2]).then(
  () => console.log(JSON.stringify({ opened: true })),
  (e) => console.log(JSON.stringify({ tag: e._tag, message: e.message })),
)
