import { MessageChannel } from "node:worker_threads"
import { describe, expect, it } from "vitest"
import { buffersOf, findDetached, isDetached } from "../src/internal/transfer.js"

/** Detaches `buffer` the way a transfer to a worker does. */
const detach = (buffer: ArrayBuffer) => {
  const { port1, port2 } = new MessageChannel()
  port1.postMessage(null, [buffer])
  port1.close()
  port2.close()
}

describe("Transfer", () => {
  it("tells a detached buffer from an empty one", () => {
    const moved = new Float32Array(4)
    detach(moved.buffer)
    expect(isDetached(moved.buffer)).toBe(true)
    expect(isDetached(new ArrayBuffer(0))).toBe(false)
    expect(isDetached(new Float32Array(0).buffer)).toBe(false)
    expect(isDetached(new ArrayBuffer(8))).toBe(false)
  })

  it("finds the path of the first detached buffer in an input, and nothing in a usable one", () => {
    const moved = new Float32Array(4)
    detach(moved.buffer)
    expect(findDetached(moved)).toBe("input")
    expect(findDetached({ label: "x", frames: [new Float32Array(2), moved] })).toBe(
      "input.frames[1]",
    )
    expect(findDetached({ raw: moved.buffer })).toBe("input.raw")
    expect(
      findDetached({ empty: new Float32Array(0), data: new Float32Array(3), n: 1, s: "a" }),
    ).toBeUndefined()
    expect(findDetached(null)).toBeUndefined()
    expect(findDetached(7)).toBeUndefined()
  })

  it("lists only buffers typed arrays cover whole, and no detached one", () => {
    const whole = new Float32Array(4)
    const part = new Float32Array(8).subarray(2, 4)
    const moved = new Float32Array(4)
    detach(moved.buffer)
    expect(buffersOf({ whole, part, moved })).toEqual([whole.buffer])
  })
})
