// Rendering benchmark results as Markdown tables.

export const ms = (x) => (Number.isFinite(x) ? `${x.toFixed(1)} ms` : "n/a")
export const num = (x, digits = 3) => (Number.isFinite(x) ? x.toFixed(digits) : "n/a")
export const spread = (s) => `${ms(s.median)} (±${s.mad.toFixed(1)} MAD, n=${s.n})`
/** Wall and CPU medians of a timed case. */
export const wallCpu = (s) => `${spread(s)}; CPU ${ms(s.cpu.median)}`

const cell = (v) =>
  String(v ?? "")
    .replaceAll("|", "\\|")
    .replaceAll("\n", " ")

export const table = (headers, rows) =>
  [
    `| ${headers.map(cell).join(" | ")} |`,
    `| ${headers.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
  ].join("\n")

/** `{ title, summary, rows: [{ measure, value, target, result }], notes }` as a section. */
export const section = (b) =>
  [
    `## ${b.title}`,
    "",
    b.summary,
    "",
    table(
      ["Measure", "Value", "Target", "Result"],
      b.rows.map((r) => [r.measure, r.value, r.target ?? "", r.result ?? ""]),
    ),
    ...(b.notes?.length ? ["", ...b.notes.map((n) => `- ${n}`)] : []),
    "",
  ].join("\n")

export const report = (machine, results, heading = "Voice gate benchmarks") =>
  [
    `# ${heading}`,
    "",
    `${machine.date} · Node ${machine.node} · ${machine.cpus}× ${machine.cpuModel} · ${machine.platform}/${machine.arch} · onnxruntime-node ${machine.versions["onnxruntime-node"]} · effect ${machine.versions.effect} · load avg ${machine.loadAvgAtStart[0].toFixed(1)} → ${machine.loadAvgAtEnd[0].toFixed(1)} · total ${(machine.totalMs / 1000).toFixed(1)} s · commit ${machine.git.commit.slice(0, 7)}${machine.git.changedFiles > 0 ? ` + ${machine.git.changedFiles} changed files` : ""}`,
    "",
    table(
      ["Benchmark", "Headline", "Target", "Result"],
      results.map((b) => [b.title, b.headline, b.target, b.status]),
    ),
    "",
    ...results.map(section),
  ].join("\n")
