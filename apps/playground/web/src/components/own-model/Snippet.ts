/**
 * The pipeline the user assembled in the panel, as a TypeScript file over
 * the published packages: their model as an infer stage behind the chosen
 * preprocess, run with createRunner on Node or served from a Web Worker.
 * A test compiles what this writes against the packages.
 */
import type { InferenceBackend } from "@edgeline/core"
import { dimText, MODEL_NAME, type Preprocess } from "./OwnModelSetup.js"

export type SnippetRuntime = "node" | "web"

export interface SnippetOptions {
  readonly fileName: string
  readonly signature: InferenceBackend.Signature
  readonly preprocess: Preprocess
  readonly runtime: SnippetRuntime
  readonly window: number
}

const describe = (values: ReadonlyArray<InferenceBackend.ValueInfo>) =>
  values
    .map((v) => `${commentText(v.name)} ${v.dtype} [${v.dims.map(dimText).join(", ")}]`)
    .join(", ")

const CORE_TYPES = new Set([
  "float32",
  "float64",
  "int8",
  "uint8",
  "int16",
  "uint16",
  "int32",
  "uint32",
  "int64",
  "uint64",
  "bool",
])

/** An expression for zeros of a declared shape; dims named `batch` become `rows`, other symbolic ones 1. */
const zerosExpr = (info: InferenceBackend.ValueInfo, batch?: number | string) => {
  const dims = info.dims.map((d) =>
    typeof d === "number" && d >= 0 ? String(d) : batch !== undefined && d === batch ? "rows" : "1",
  )
  const dtype = CORE_TYPES.has(info.dtype) ? info.dtype : "float32"
  return `Tensor.zeros("${dtype}", [${dims.join(", ")}])`
}

const key = (name: string) => (/^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name))

const isInteger = (dtype: string) => /^u?int(8|16|32|64)$/.test(dtype)

/** A file name inside a `//` comment: on one line, and never closing a block comment. */
const commentText = (text: string) => text.replace(/[\r\n\u2028\u2029]+/g, " ").replaceAll("*/", "")

/** The infer stage's `encode`: its parameter, the type of what it takes, and its body. */
interface Encode {
  readonly param: string
  readonly input: string
  readonly body: string
}

const encodeFor = (o: SnippetOptions): Encode => {
  const inputs = o.signature.inputs
  if (o.preprocess === "tensor-json")
    return { param: "feeds", input: "Tensor.Feeds", body: "feeds" }
  if (o.preprocess === "featurizer") {
    const indices = inputs.find((i) => isInteger(i.dtype))?.name ?? "indices"
    const values = inputs.find((i) => i.dtype.startsWith("float"))?.name ?? "values"
    return {
      param: "{ features }",
      input: "TriageStudent.Featurized",
      body: `{
    // One row of hashed n-grams: bucket indices and their weights.
    const { width, indices, values } = SparseBatch.pad([features])
    return {
      ${key(indices)}: Tensor.make("int64", indices, [1, width]),
      ${key(values)}: Tensor.float32(values, [1, width]),
    }
  }`,
    }
  }
  const audio = inputs.find((i) => i.dtype === "float32" && i.dims.length === 2) ?? inputs[0]!
  const [batch, last] = audio.dims
  const width = typeof last === "number" && last > 0 ? last : o.window
  const others = inputs
    .filter((i) => i !== audio)
    .map((i) =>
      i.dims.length === 0 && i.dtype === "int64"
        ? `      ${key(i.name)}: Tensor.int64(BigInt64Array.from([16000n]), []),`
        : `      ${key(i.name)}: ${zerosExpr(i, batch)},`,
    )
  return {
    param: "samples",
    input: "Float32Array",
    body: `{
    // 16 kHz audio cut into ${width}-sample windows, stacked on dim 0: one run scores them all.
    const rows = Math.max(1, Math.ceil(samples.length / ${width}))
    const windows = new Float32Array(rows * ${width})
    windows.set(samples.subarray(0, windows.length))
    return {
      ${key(audio.name)}: Tensor.float32(windows, [rows, ${width}]),
${others.join("\n")}
    }
  }`,
  }
}

/** What a Node run feeds the pipeline. */
const nodeInput = (o: SnippetOptions) => {
  if (o.preprocess === "featurizer")
    return `{ text: "Congratulations! You won a free cruise, reply now" }`
  if (o.preprocess === "wav") return `new Uint8Array(await readFile("./speech.wav"))`
  const feeds = o.signature.inputs.map((i) => `  ${key(i.name)}: ${zerosExpr(i)},`)
  return `{\n${feeds.join("\n")}\n}`
}

/** The TypeScript file for these options. */
export const snippet = (o: SnippetOptions): string => {
  const node = o.runtime === "node"
  const encode = encodeFor(o)
  const outputs = o.signature.outputs.map(
    (out) => `    ${key(out.name)}: outputs[${JSON.stringify(out.name)}]!,`,
  )
  const stages = {
    "tensor-json": "yourModel",
    featurizer: "features, yourModel",
    wav: "WavDecode.stage, Resample.stage, yourModel",
  }[o.preprocess]
  const recipes = {
    "tensor-json": [],
    featurizer: ["TriageStudent"],
    wav: ["Resample", "WavDecode"],
  }[o.preprocess]
  const imports = [
    node && o.preprocess === "wav" ? `import { readFile } from "node:fs/promises"` : undefined,
    `import { ${node ? "createRunner, " : ""}Infer, ModelRef, Pipeline, Tensor } from "@edgeline/core"`,
    o.preprocess === "featurizer"
      ? `import { SparseBatch } from "@edgeline/distill/features"`
      : undefined,
    recipes.length > 0 ? `import { ${recipes.join(", ")} } from "@edgeline/recipes"` : undefined,
    node
      ? `import { NodeRuntime } from "@edgeline/runtime-node"`
      : `import { serveWorker, WebRuntime } from "@edgeline/runtime-web"`,
    o.preprocess === "featurizer" ? `import { Effect } from "effect"` : undefined,
    node ? undefined : `import wasmUrl from "onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url"`,
    node ? undefined : `import modelUrl from ${JSON.stringify(`./${o.fileName}?url`)}`,
  ].filter((line) => line !== undefined)
  const model = node
    ? `ModelRef.make("${MODEL_NAME}", ${JSON.stringify(`./${o.fileName}`)})`
    : `ModelRef.make("${MODEL_NAME}", modelUrl)`
  const stage = `const yourModel = Infer.infer({
  name: "${MODEL_NAME}",
  model: ${model},
  encode: (${encode.param}: ${encode.input}) => ${encode.body},
  decode: (outputs) => ({
${outputs.join("\n")}
  }),
})`
  const header = [
    `// ${commentText(o.fileName)} in an Edgeline pipeline${node ? ", on Node" : ", in a Web Worker (bundled with Vite)"}.`,
    `// Inputs: ${describe(o.signature.inputs)}`,
    `// Outputs: ${describe(o.signature.outputs)}`,
  ]
  if (node) {
    const features =
      o.preprocess === "featurizer"
        ? [
            "// The message-triage student's featurizer: hashed word and character n-grams.",
            "const features = await Effect.runPromise(TriageStudent.features())",
            "",
          ]
        : []
    return [
      ...header,
      ...imports,
      "",
      ...features,
      stage,
      "",
      `const pipeline = Pipeline.make("${MODEL_NAME}", ${stages})`,
      "const runner = await createRunner(pipeline, { layer: NodeRuntime.layer() })",
      `console.log(await runner.run(${nodeInput(o)}))`,
      "await runner.close()",
      "",
    ].join("\n")
  }
  const pipeline =
    o.preprocess === "featurizer"
      ? `// The message-triage student's featurizer (hashed n-grams), built once the worker starts.
const pipeline = Effect.map(TriageStudent.features(), (features) =>
  Pipeline.make("${MODEL_NAME}", ${stages}),
)`
      : `const pipeline = Pipeline.make("${MODEL_NAME}", ${stages})`
  return [
    ...header,
    '// On the page: connectWorker(new Worker(new URL("./your-model.worker.ts", import.meta.url), { type: "module" }))',
    "// gives a Runner: await runner.run(input), runner.observe(...) for live stage latency.",
    ...imports,
    "",
    stage,
    "",
    pipeline,
    "",
    "serveWorker(pipeline, WebRuntime.layer({ wasmPaths: { wasm: wasmUrl } }))",
    "",
  ].join("\n")
}
