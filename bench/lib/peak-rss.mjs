// `node --import <this file> …`: at exit, writes the process's peak resident
// set size (bytes) to the file named by EDGELINE_PEAK_RSS_FILE. The kernel's
// own high-water mark, read by the process itself: exact, and nothing polls.
import { writeFileSync } from "node:fs"

const file = process.env.EDGELINE_PEAK_RSS_FILE
if (file) {
  process.on("exit", () => {
    writeFileSync(file, String(process.resourceUsage().maxRSS * 1024))
  })
}
