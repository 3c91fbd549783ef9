// Timing helpers: medians over repetitions, and A/B runs interleaved so that
// machine noise (other processes, CPU frequency, GC) hits both sides alike.

export const median = (xs) => {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** The `p`-th percentile (0–100) by linear interpolation between the nearest ranks. */
export const percentile = (xs, p) => {
  if (xs.length === 0) return Number.NaN
  const s = Float64Array.from(xs).sort()
  const at = (p / 100) * (s.length - 1)
  const lo = Math.floor(at)
  const hi = Math.ceil(at)
  return s[lo] + (s[hi] - s[lo]) * (at - lo)
}

/** Median absolute deviation: a robust spread around the median. */
export const mad = (xs) => {
  const m = median(xs)
  return median(xs.map((x) => Math.abs(x - m)))
}

/** Per-round ratios a[i] / b[i] of two equally long series of times. */
export const pairRatios = (a, b) => a.map((t, i) => t / b[i])

export const summarize = (xs) => ({
  n: xs.length,
  median: median(xs),
  mad: mad(xs),
  min: Math.min(...xs),
  max: Math.max(...xs),
  mean: xs.reduce((a, b) => a + b, 0) / xs.length,
  samples: xs,
})

/**
 * Runs `fn(input)` once: its wall time and the process's CPU time (all
 * threads: V8's GC helpers, onnxruntime, worker threads), in ms, and its
 * result. On a loaded machine CPU time is the steadier of the two.
 */
export const timeOnce = async (fn, input) => {
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  const out = await fn(input)
  const ms = performance.now() - t0
  const c = process.cpuUsage(c0)
  return { ms, cpuMs: (c.user + c.system) / 1000, out }
}

/**
 * Repeats one case: `warmup` untimed runs, then `reps` timed ones.
 * A case is `{ setup?: () => input, run: (input) => Promise<out> }`; `setup`
 * (e.g. copying a buffer that the run will transfer away) is not timed.
 */
export const repeat = async (c, { warmup, reps }) => {
  let out
  for (let i = 0; i < warmup; i++) out = await c.run(c.setup?.())
  const times = []
  const cpu = []
  for (let i = 0; i < reps; i++) {
    const r = await timeOnce(c.run, c.setup?.())
    times.push(r.ms)
    cpu.push(r.cpuMs)
    out = r.out
  }
  return { ...summarize(times), cpu: summarize(cpu), out }
}

/**
 * Times cases A and B alternately: warm-up rounds first (untimed), then
 * `reps` pairs in ABBA order (A B, B A, A B, …) so a slow drift of the
 * machine does not favour either side. The ratio is A/B: the median of the
 * per-pair ratios (robust to noise between pairs), with the ratio of the
 * medians alongside; the same for CPU time.
 */
export const interleave = async (a, b, { warmup, reps }) => {
  let outA
  let outB
  for (let i = 0; i < warmup; i++) {
    outA = await a.run(a.setup?.())
    outB = await b.run(b.setup?.())
  }
  const wall = { a: [], b: [] }
  const cpu = { a: [], b: [] }
  for (let i = 0; i < reps; i++) {
    const order = i % 2 === 0 ? [a, b] : [b, a]
    for (const c of order) {
      const r = await timeOnce(c.run, c.setup?.())
      const side = c === a ? "a" : "b"
      wall[side].push(r.ms)
      cpu[side].push(r.cpuMs)
      if (side === "a") outA = r.out
      else outB = r.out
    }
  }
  const wallRatios = pairRatios(wall.a, wall.b)
  const cpuPairRatios = pairRatios(cpu.a, cpu.b)
  const A = summarize(wall.a)
  const B = summarize(wall.b)
  return {
    a: { ...A, cpu: summarize(cpu.a), out: outA },
    b: { ...B, cpu: summarize(cpu.b), out: outB },
    pairRatios: wallRatios,
    ratio: median(wallRatios),
    ratioOfMedians: A.median / B.median,
    cpuPairRatios,
    cpuRatio: median(cpuPairRatios),
  }
}

/** Drops the `out` fields (large arrays) before results go to JSON. */
export const forJson = ({ out: _out, ...rest }) => rest

/**
 * `interleave` for any number of cases, each `() => Promise<{ ms, cpuMs?, out }>`
 * (clocked here with `timeOnce`, or elsewhere: in a browser page or worker).
 * Warm-up rounds first, then `reps` rounds whose order alternates forwards
 * and backwards (A B, B A, … or A B C, C B A, …). Returns each case's
 * summary, keyed like `cases`, with its last `out`, and a summary of its CPU
 * time where the case reports one (a browser's is not ours to read).
 */
export const interleaveTimed = async (cases, { warmup, reps }) => {
  const keys = Object.keys(cases)
  const times = Object.fromEntries(keys.map((k) => [k, []]))
  const cpu = Object.fromEntries(keys.map((k) => [k, []]))
  const outs = {}
  for (let i = 0; i < warmup; i++) {
    for (const k of keys) outs[k] = (await cases[k]()).out
  }
  for (let i = 0; i < reps; i++) {
    for (const k of i % 2 === 0 ? keys : [...keys].reverse()) {
      const r = await cases[k]()
      times[k].push(r.ms)
      if (r.cpuMs !== undefined) cpu[k].push(r.cpuMs)
      outs[k] = r.out
    }
  }
  return Object.fromEntries(
    keys.map((k) => [
      k,
      {
        ...summarize(times[k]),
        ...(cpu[k].length > 0 ? { cpu: summarize(cpu[k]) } : {}),
        out: outs[k],
      },
    ]),
  )
}

/** A/B of two summaries from the same rounds: median of per-round ratios, and ratio of medians. */
export const ratios = (a, b) => {
  const perRound = pairRatios(a.samples, b.samples)
  return { pairRatios: perRound, ratio: median(perRound), ratioOfMedians: a.median / b.median }
}

/** Largest absolute difference between two equally long arrays (Infinity if they differ in length). */
export const maxAbsDiff = (a, b) => {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY
  let max = 0
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]))
  return max
}
