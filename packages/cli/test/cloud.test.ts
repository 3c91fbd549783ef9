/**
 * `edgeline cloud serve`, run as users run it (the committed bin in a child
 * process), serving the real message-triage teacher that ships with
 * `@edgeline/cloud-server`.
 */
import { execFile } from "node:child_process"
import { mkdtemp, readFile } from "node:fs/promises"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { afterEach, beforeAll, describe, expect, it } from "vitest"
import { type Serving, serving } from "./support/cloud.js"
import { edgeline } from "./support/edgeline.js"

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "edgeline-cloud-"))
})
/** Servers a failed test left running are stopped, not left behind. */
const running = new Set<Serving>()
const serve = (args: ReadonlyArray<string>, env?: NodeJS.ProcessEnv): Serving => {
  const server = serving(args, env)
  running.add(server)
  return server
}
afterEach(() => {
  for (const { child } of running) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
  }
  running.clear()
})

const SPAM =
  "Subject: URGENT: claim your FREE prize now!!!\n\nClick here to claim your cash prize. Limited offer, act now!"
const HAM =
  "Subject: Re: build failure on the nightly\n\nThanks, I reverted the change to the Makefile; the nightly build passes again."

describe("edgeline cloud serve", () => {
  it("prints its URL, serves /v1/models, and stops cleanly on SIGTERM", async () => {
    const server = serve([])
    const url = await server.url
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const body = (await (await fetch(`${url}/v1/models`)).json()) as { data: Array<{ id: string }> }
    // PocketSphinx is installed here (.ci/run installs it): transcription is served too.
    expect(body.data.map((m) => m.id)).toEqual(["message-triage-teacher", "pocketsphinx-en-us"])
    expect(server.output().stderr).not.toContain("serving chat only")
    // No key given: it says auth is off, on stderr, so stdout stays the URL alone.
    expect(server.output().stderr).toContain("auth is off")
    server.child.kill("SIGTERM")
    expect(await server.exited).toEqual({ code: 0, signal: null })
    expect(server.output().stdout).toBe(`${url}\n`)
    await expect(fetch(`${url}/v1/models`)).rejects.toThrow()
  })

  it("takes its options: port, keys, limits, and a request log; stops on SIGINT", async () => {
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve))
    const port = (blocker.address() as { port: number }).port
    await new Promise((resolve) => blocker.close(resolve))
    const log = join(dir, "requests.jsonl")
    const server = serve([
      "--port",
      String(port),
      "--host",
      "127.0.0.1",
      "--api-key",
      "one",
      "--api-key",
      "two",
      "--max-body-bytes",
      "2000",
      "--max-concurrent",
      "4",
      "--request-log",
      log,
    ])
    const url = await server.url
    expect(url).toBe(`http://127.0.0.1:${port}`)
    const chat = (key: string, content: string) =>
      fetch(`${url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}` },
        body: JSON.stringify({
          model: "message-triage-teacher",
          messages: [{ role: "user", content }],
        }),
      })
    const answer = async (content: string) => {
      const response = await chat("two", content)
      expect(response.status).toBe(200)
      const body = (await response.json()) as { choices: Array<{ message: { content: string } }> }
      // No response_format: the answer is the bare label.
      return body.choices[0]!.message.content
    }
    // The real teacher tells real spam from real ham.
    expect(await answer(SPAM)).toBe("spam")
    expect(await answer(HAM)).toBe("ham")
    expect((await chat("three", "hello")).status).toBe(401)
    expect((await chat("one", "x".repeat(3000))).status).toBe(413)
    expect(server.output().stderr).not.toContain("auth is off")
    server.child.kill("SIGINT")
    expect((await server.exited).code).toBe(0)
    const lines = (await readFile(log, "utf8"))
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l))
    expect(lines.map((l) => l.status)).toEqual([200, 200, 401, 413])
    expect(lines[0].messages).toEqual([{ role: "user", content: SPAM }])
  })

  it("transcribes speech with PocketSphinx at /v1/audio/transcriptions", async () => {
    const wav = join(dir, "lights.wav")
    await promisify(execFile)("flite", [
      "-voice",
      "slt",
      "-t",
      "turn off the kitchen lights",
      "-o",
      wav,
    ])
    const server = serve(["--api-key", "k", "--max-audio-bytes", "200000"])
    const url = await server.url
    const form = new FormData()
    form.append("file", new Blob([await readFile(wav)], { type: "audio/wav" }), "lights.wav")
    form.append("model", "pocketsphinx-en-us")
    const response = await fetch(`${url}/v1/audio/transcriptions`, {
      method: "POST",
      headers: { authorization: "Bearer k" },
      body: form,
    })
    expect(response.status).toBe(200)
    expect(((await response.json()) as { text: string }).text).toBe("turn off the kitchen lights")
    const big = new FormData()
    big.append("file", new Blob([new Uint8Array(300_000)]), "big.wav")
    big.append("model", "pocketsphinx-en-us")
    const refused = await fetch(`${url}/v1/audio/transcriptions`, {
      method: "POST",
      headers: { authorization: "Bearer k" },
      body: big,
    })
    expect(refused.status).toBe(413)
    await server.stop()
  })

  it("without PocketSphinx it warns on stderr and serves chat only", async () => {
    // No PATH: pocketsphinx_continuous cannot be found (node itself is started by its full path).
    const server = serve([], { ...process.env, PATH: "" })
    const url = await server.url
    const body = (await (await fetch(`${url}/v1/models`)).json()) as { data: Array<{ id: string }> }
    expect(body.data.map((m) => m.id)).toEqual(["message-triage-teacher"])
    expect(server.output().stderr).toContain(
      "edgeline cloud serve: warning: serving chat only, no /v1/audio/transcriptions: PocketSphinx is not installed: cannot run pocketsphinx_continuous (install pocketsphinx pocketsphinx-en-us",
    )
    await server.stop()
    expect(server.output().stdout).toBe(`${url}\n`)
  })

  it("a taken port: one line, exit code 2", async () => {
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve))
    const port = (blocker.address() as { port: number }).port
    try {
      const { code, stderr } = await edgeline(["cloud", "serve", "--port", String(port)])
      expect(code).toBe(2)
      expect(stderr).toMatch(
        new RegExp(`^edgeline: cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`),
      )
    } finally {
      blocker.close()
    }
  })
})

describe("edgeline cloud serve --cors", () => {
  it("answers a browser's preflight and lets any origin read the answers", async () => {
    const server = serve(["--cors"])
    const url = await server.url
    const pre = await fetch(`${url}/v1/chat/completions`, {
      method: "OPTIONS",
      headers: { origin: "http://app.example", "access-control-request-method": "POST" },
    })
    expect(pre.status).toBe(204)
    expect(pre.headers.get("access-control-allow-origin")).toBe("*")
    const models = await fetch(`${url}/v1/models`, { headers: { origin: "http://app.example" } })
    expect(models.headers.get("access-control-allow-origin")).toBe("*")
    server.child.kill("SIGTERM")
    expect((await server.exited).code).toBe(0)
  })
})

describe("edgeline cloud: usage errors (exit code 2, with the usage)", () => {
  it.each([
    [["cloud"], "cloud needs a subcommand: serve"],
    [["cloud", "start"], 'unknown cloud subcommand "start"'],
    [["cloud", "serve", "now"], "unexpected arguments: now"],
    [["cloud", "serve", "--port", "65536"], '--port must be a number from 0 to 65535, got "65536"'],
    [
      ["cloud", "serve", "--port", "80.5"],
      '--port must be a whole number from 0 to 65535, got "80.5"',
    ],
    [["cloud", "serve", "--port", "http"], '--port must be a number from 0 to 65535, got "http"'],
    [["cloud", "serve", "--port"], "Option '--port <value>' argument missing"],
    [["cloud", "serve", "--max-concurrent", "0"], "--max-concurrent must be a number from 1"],
    [["cloud", "serve", "--max-body-bytes", "0"], "--max-body-bytes must be a number from 1"],
    [["cloud", "serve", "--max-audio-bytes", "0"], "--max-audio-bytes must be a number from 1"],
    [["cloud", "serve", "--api-key", ""], "--api-key needs a value"],
    [["cloud", "serve", "--request-log", ""], "--request-log needs a value"],
    [["cloud", "serve", "--json"], "cloud has no option --json"],
    [["voice-gate", "talk.wav", "--port", "80"], "voice-gate has no option --port"],
  ])("%j", async (args, says) => {
    const { code, stdout, stderr } = await edgeline(args)
    expect(code).toBe(2)
    expect(stdout).toBe("")
    expect(stderr.split("\n")[0]).toContain(`edgeline: ${says}`)
    expect(stderr).toContain("usage: edgeline voice-gate")
    expect(stderr).toContain("edgeline cloud serve")
  })

  it("--help shows cloud serve and its options", async () => {
    const { code, stdout } = await edgeline(["--help"])
    expect(code).toBe(0)
    for (const option of [
      "--port",
      "--host",
      "--api-key",
      "--max-concurrent",
      "--max-body-bytes",
      "--max-audio-bytes",
      "--request-log",
      "pocketsphinx-en-us",
    ]) {
      expect(stdout).toContain(option)
    }
  })
})
