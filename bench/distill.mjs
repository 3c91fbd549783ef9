// (j)–(m) Distill: the shipped message-triage student against its teacher,
// all measured in this one process on the SpamAssassin `-1` validation split.
//
// (j) student on the device: featurize + onnxruntime-node per message, and
//     the model's size, beside the teacher in the same process;
// (k) the teacher through the reference cloud tier on loopback: one
//     OpenAI-compatible chat completion (json_schema + logprobs) per message;
// (l) training time: the student on the whole training split (from the
//     teacher's soft labels), and the teacher on ground truth;
// (m) agreement of the student with the teacher on validation, and both
//     accuracies against ground truth.
import { readFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { CloudServer, TriageTeacher } from "@edgeline/cloud-server"
import {
  OnnxImport,
  OpenAiTeacher,
  Presets,
  SpamAssassin,
  SparseBatch,
  Student,
  Teacher,
} from "@edgeline/distill"
import { Featurizer } from "@edgeline/distill/features"
import * as ort from "onnxruntime-node"
import { num } from "./lib/markdown.mjs"
import { median, summarize } from "./lib/stats.mjs"

export const TARGETS = { studentMs: 0.5, studentBytes: 1_000_000, agreement: 0.97 }

const us = (msValue) => `${(msValue * 1000).toFixed(0)} µs`

/** A classifier exported by distill on onnxruntime-node, one message per call, as a device runs it. */
const onDevice = async (bytes) => {
  const card = OnnxImport.card(bytes)
  const featurizer = await Featurizer.create(card.featurizer)
  const session = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  })
  return {
    card,
    classify: async (text) => {
      const batch = SparseBatch.pad([featurizer.featurize(text)])
      const out = await session.run({
        indices: new ort.Tensor("int64", batch.indices, [1, batch.width]),
        values: new ort.Tensor("float32", batch.values, [1, batch.width]),
      })
      return out.probabilities.data
    },
    close: () => session.release(),
  }
}

/** Per-message times of `classify` over `texts`, `rounds` times after one untimed pass; medians per message. */
const perMessage = async (classify, texts, rounds) => {
  await firstPass(classify, texts)
  const totals = []
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now()
    for (const t of texts) await classify(t)
    totals.push((performance.now() - t0) / texts.length)
  }
  return summarize(totals)
}

/** Mean time per message of one pass over `texts`. */
const firstPass = async (classify, texts) => {
  const t0 = performance.now()
  for (const t of texts) await classify(t)
  return (performance.now() - t0) / texts.length
}

const argmax = (p) => (p[1] > p[0] ? 1 : 0)

export const run = async ({ log }) => {
  const require = createRequire(import.meta.url)
  const studentBytes = new Uint8Array(
    await readFile(require.resolve("@edgeline/model-message-triage/model.onnx")),
  )
  const teacherBytes = new Uint8Array(await readFile(TriageTeacher.modelUrl))
  const [train, validation] = [
    await SpamAssassin.load("train"),
    await SpamAssassin.load("validation"),
  ]
  const texts = validation.map((m) => m.text)

  log(`distill: student and teacher per message on ${texts.length} validation messages`)
  const student = await onDevice(studentBytes)
  const teacher = await onDevice(teacherBytes)
  // Interleaved rounds, so machine noise hits both alike.
  const studentRounds = []
  const teacherRounds = []
  for (let r = 0; r < 5; r++) {
    studentRounds.push((await perMessage(student.classify, texts, 1)).median)
    teacherRounds.push((await perMessage(teacher.classify, texts, 1)).median)
  }
  const studentMs = median(studentRounds)
  // A fresh featurizer knows no word yet: its first pass hashes every word, as a device's
  // first messages do (the code is warm by now; only the featurizer's memory is empty).
  const fresh = await onDevice(studentBytes)
  const studentColdMs = await firstPass(fresh.classify, texts)
  await fresh.close()
  const teacherMs = median(teacherRounds)

  log("distill: agreement and accuracy on validation")
  const studentP = []
  const teacherP = []
  for (const t of texts) {
    studentP.push(Array.from(await student.classify(t)))
    teacherP.push(Array.from(await teacher.classify(t)))
  }
  const truth = validation.map((m) => SpamAssassin.labels.indexOf(m.label))
  const share = (f) => validation.filter((_, i) => f(i)).length / validation.length
  const agreement = share((i) => argmax(studentP[i]) === argmax(teacherP[i]))
  const studentAccuracy = share((i) => argmax(studentP[i]) === truth[i])
  const teacherAccuracy = share((i) => argmax(teacherP[i]) === truth[i])
  await student.close()

  log("distill: the teacher through the cloud tier on loopback")
  const cloudTeacher = await TriageTeacher.classifier(teacherBytes)
  const server = await CloudServer.start({ port: 0, models: [cloudTeacher] })
  let cloud
  try {
    const openai = OpenAiTeacher.make({
      baseUrl: `${server.url}/v1`,
      model: cloudTeacher.id,
      labels: SpamAssassin.labels,
    })
    const sample = texts.slice(0, 200)
    cloud = await perMessage((t) => Teacher.labelPromise(openai, t), sample, 3)
  } finally {
    await server.close()
    await cloudTeacher.close()
  }

  log("distill: training time, student on the teacher's soft labels and teacher on ground truth")
  const soft = []
  for (const m of train) soft.push(Array.from(await teacher.classify(m.text)))
  await teacher.close()
  const trainedStudent = await Student.trainPromise(
    train.map((m, i) => ({ text: m.text, target: soft[i] })),
    { ...Presets.triageStudent, labels: SpamAssassin.labels },
  )
  const trainedTeacher = await Student.trainPromise(
    train.map((m) => ({
      text: m.text,
      target: SpamAssassin.labels.map((l) => (l === m.label ? 1 : 0)),
    })),
    { ...Presets.triageTeacher, labels: SpamAssassin.labels },
  )

  const pass = (ok) => (ok ? "PASS" : "FAIL")
  const checks = {
    latency: studentMs <= TARGETS.studentMs,
    size: studentBytes.byteLength <= TARGETS.studentBytes,
    agreement: agreement >= TARGETS.agreement,
  }
  const status = Object.values(checks).every(Boolean) ? "PASS" : "FAIL"
  return {
    id: "distill",
    title: "(j) Distill: student vs teacher",
    summary: `The committed student (\`@edgeline/model-message-triage\`) and the reference teacher (\`@edgeline/cloud-server\`), each featurize + onnxruntime-node with one thread, one message per call, over the ${texts.length} validation messages of the SpamAssassin \`-1\` subsets (5 interleaved rounds, median of per-round means). The cloud row is one OpenAI-compatible chat completion (json_schema, logprobs) per message through \`OpenAiTeacher\` to the cloud tier on loopback (200 messages, 3 rounds). Training times are fresh runs of the shipped presets on the ${train.length}-message training split.`,
    headline: `student ${us(studentMs)}/msg, ${(studentBytes.byteLength / 1024).toFixed(0)} KiB; ${num(teacherMs / studentMs, 1)}× faster than the teacher in-process; agreement ${(agreement * 100).toFixed(2)}%`,
    target: `≤ ${TARGETS.studentMs} ms/msg, ≤ 1 MB, agreement ≥ ${TARGETS.agreement * 100}%`,
    status,
    rows: [
      {
        measure: "student: featurize + infer per message (Node)",
        value: us(studentMs),
        target: `≤ ${us(TARGETS.studentMs)}`,
        result: pass(checks.latency),
      },
      {
        measure: "student: the same, first pass with a fresh featurizer (no word known yet)",
        value: us(studentColdMs),
      },
      {
        measure: "student: model size",
        value: `${studentBytes.byteLength} bytes (${student.card.parameters} parameters)`,
        target: "≤ 1 MB",
        result: pass(checks.size),
      },
      {
        measure: "teacher: featurize + infer per message (Node, in-process)",
        value: us(teacherMs),
      },
      {
        measure: "teacher: model size",
        value: `${teacherBytes.byteLength} bytes (${teacher.card.parameters} parameters, ${num(teacher.card.parameters / student.card.parameters, 1)}× the student)`,
      },
      {
        measure: "teacher ÷ student latency (same run)",
        value: `${num(teacherMs / studentMs, 2)}×`,
      },
      {
        measure: "teacher through the cloud tier on loopback, per message",
        value: `${num(cloud.median, 2)} ms (${num(cloud.median / studentMs, 0)}× the student)`,
      },
      {
        measure: "training: student on the training split (featurize + 10 epochs)",
        value: `${(trainedStudent.durationMs / 1000).toFixed(1)} s`,
      },
      {
        measure: "training: teacher on the training split (featurize + 10 epochs)",
        value: `${(trainedTeacher.durationMs / 1000).toFixed(1)} s`,
      },
      {
        measure: "agreement with the teacher (validation)",
        value: `${(agreement * 100).toFixed(2)}%`,
        target: `≥ ${TARGETS.agreement * 100}%`,
        result: pass(checks.agreement),
      },
      {
        measure: "accuracy vs ground truth: student / teacher",
        value: `${(studentAccuracy * 100).toFixed(2)}% / ${(teacherAccuracy * 100).toFixed(2)}%`,
      },
    ],
    notes: [
      "Latency is the mean per message within a round (a round is every validation message once); the table gives the median of the rounds.",
      "The teacher stands in for a cloud LLM; a real one costs hundreds of milliseconds and money per message, which is the point of the student.",
    ],
    raw: {
      studentMs,
      studentColdMs,
      teacherMs,
      studentRounds,
      teacherRounds,
      cloudMs: cloud,
      studentBytes: studentBytes.byteLength,
      teacherBytes: teacherBytes.byteLength,
      studentParameters: student.card.parameters,
      teacherParameters: teacher.card.parameters,
      studentTrainingMs: trainedStudent.durationMs,
      teacherTrainingMs: trainedTeacher.durationMs,
      agreement,
      studentAccuracy,
      teacherAccuracy,
      validationMessages: texts.length,
      targets: TARGETS,
    },
  }
}
