// `node --import <this file> …`: at exit, writes the process's peak resident
// set size (bytes) to the file named by EDGELINE_PEAK_RSS_FILE. The kernel's
// own high-water mark, read by the process itself: exact, and nothing polls.
// On Linux it is VmHWM from /proc/self/status: getrusage's ru_maxrss carries
// over the parent's peak through fork and exec, so a child of a big benchmark
// process would report the parent's size.
import { readFileSync, writeFileSync } from "node:fs"

const peakBytes = () => {
  try {
    const kb = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1]
    if (kb !== undefined) return Number(kb) * 1024
  } catch {}
  return process.resourceUsage().maxRSS * 1024
}

const file = process.env.EDGELINE_PEAK_RSS_FILE
if (file) process.on("exit", () => writeFileSync(file, String(peakBytes())))
