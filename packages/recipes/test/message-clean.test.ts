/**
 * MessageClean on hand-made mails (MIME, charsets, broken structure, quotes,
 * signatures) and on every message of the SpamAssassin `-1` validation split.
 */
import { SpamAssassin } from "@edgeline/distill"
import { MessageClean } from "@edgeline/recipes"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"

const clean = (input: MessageClean.Input) => Effect.runPromise(MessageClean.clean(input))

describe("MessageClean.clean", () => {
  it("keeps Subject, From and the body; drops every other header and an mbox From line", async () => {
    const out = await clean(
      "From ann@example.com  Thu Aug 22 13:17:22 2002\nReturn-Path: <ann@example.com>\nReceived: from a by b\n\tfor <bob@example.org>; Thu, 22 Aug 2002\nFrom: Ann Smith <ann@example.com>\nTo: bob@example.org\nSubject: Lunch\n  tomorrow?\nMessage-ID: <1@example.com>\n\nAre you free at noon?\n",
    )
    expect(out).toEqual({
      mail: true,
      subject: "Lunch tomorrow?",
      from: "Ann Smith <ann@example.com>",
      body: "Are you free at noon?",
    })
    expect(MessageClean.format(out)).toBe(
      "Subject: Lunch tomorrow?\nFrom: Ann Smith <ann@example.com>\n\nAre you free at noon?",
    )
  })

  it("passes plain text through unchanged", async () => {
    const text = "Note: buy milk.\n\n> not a quote here\n-- \nme"
    expect(MessageClean.isMail(text)).toBe(false)
    expect(await clean(text)).toEqual({ mail: false, subject: "", from: "", body: text })
  })

  it("decodes non-UTF-8 charsets: quoted-printable Latin-1, base64 KOI8-R, 8-bit ISO-8859-2 bytes, encoded words", async () => {
    const latin1 = await clean(
      "From: a@example.com\nSubject: =?iso-8859-1?Q?Caf=E9?=\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\nD=E9j=E0 vu =\nau caf=E9.\n",
    )
    expect(latin1.subject).toBe("Café")
    expect(latin1.body).toBe("Déjà vu au café.")
    const koi8 = await clean(
      "From: a@example.com\nSubject: =?koi8-r?B?8NLJ18XU?=\nContent-Type: text/plain; charset=koi8-r\nContent-Transfer-Encoding: base64\n\n8NLJ18XUIMnaIOvJxdfB\n",
    )
    expect(koi8.subject).toBe("Привет")
    expect(koi8.body).toBe("Привет из Киева")
    // Bytes, not a string: an 8-bit part is decoded in its declared charset.
    const head =
      "From: a@example.com\nSubject: bytes\nContent-Type: text/plain; charset=iso-8859-2\nContent-Transfer-Encoding: 8bit\n\n"
    const bytes = Uint8Array.from(
      [...head].map((c) => c.charCodeAt(0)).concat([0x5a, 0x61, 0xbf, 0xf3, 0xb3, 0xe6]),
    )
    expect((await clean(bytes)).body).toBe("Zażółć")
  })

  it("reads HTML-only mails and prefers the HTML when the plain part says little", async () => {
    const html = await clean(
      'From: a@example.com\nSubject: Offer\nContent-Type: text/html\n\n<html><head><style>p{color:red}</style></head><body><h1>Save 70%</h1><p>On <b>life</b> insurance. <a href="http://ex.com/q">Click here</a></p><img src="x.gif"><script>alert(1)</script></body></html>',
    )
    expect(html.body).toBe("Save 70%\n\nOn life insurance. Click here <http://ex.com/q>")
    const alternative = await clean(
      'From: a@example.com\nSubject: Offer\nContent-Type: multipart/alternative; boundary="b"\n\n--b\nContent-Type: text/plain\n\nThis is an HTML message.\n--b\nContent-Type: text/html\n\n<p>Lowest mortgage rates in years, approved in minutes, no fees whatsoever.</p>\n--b--\n',
    )
    expect(alternative.body).toBe(
      "Lowest mortgage rates in years, approved in minutes, no fees whatsoever.",
    )
  })

  it("survives broken MIME: a missing closing boundary, bad base64, no body", async () => {
    const open = await clean(
      'From: a@example.com\nSubject: open\nContent-Type: multipart/mixed; boundary="zz"\n\n--zz\nContent-Type: text/plain\n\nstill here\n',
    )
    expect(open.body).toBe("still here")
    const bad = await clean(
      "From: a@example.com\nSubject: bad\nContent-Transfer-Encoding: base64\n\n%%%not base64%%%\n",
    )
    expect(bad.subject).toBe("bad")
    expect(await clean("Subject: only a head\n")).toMatchObject({
      mail: true,
      subject: "only a head",
      body: "",
    })
  })

  it("drops quoted replies with their attribution, and Outlook's original message", async () => {
    expect(
      MessageClean.dropQuoted(
        "I agree.\n\nOn Tue, 3 Sep 2002, Bob Jones\n<bob@example.com> wrote:\n> We should ship.\n> Today.\n\nMe too.",
      ),
    ).toBe("I agree.\n\nMe too.")
    expect(MessageClean.dropQuoted("Fine.\n-----Original Message-----\nFrom: Bob\nShip it")).toBe(
      "Fine.",
    )
    // An attribution-like line without a quote after it is text.
    expect(MessageClean.dropQuoted("Then he wrote:\nnothing at all")).toBe(
      "Then he wrote:\nnothing at all",
    )
  })

  it("keeps a forward's text: the forwarded mail is the message, not a quoted reply", async () => {
    expect(MessageClean.isForward("Fwd: the plan")).toBe(true)
    expect(MessageClean.isForward("[list] FW: the plan")).toBe(true)
    expect(MessageClean.isForward("Re: Fwd: the plan")).toBe(false)
    const body = [
      "For everyone's benefit.",
      "",
      "-----Original Message-----",
      "From: Status Reports [mailto:noc@example.net]On Behalf Of Ann",
      "Smith",
      "Sent: Thursday, October 03, 2002 11:30 AM",
      "Subject: Backbone problems",
      "",
      "The outage has spread nationwide.",
      "> Routed over other providers.",
    ].join("\n")
    expect(MessageClean.dropQuoted(body)).toBe("For everyone's benefit.")
    expect(MessageClean.dropQuoted(body, true)).toBe(
      "For everyone's benefit.\n\nThe outage has spread nationwide.\nRouted over other providers.",
    )
    const mail = await clean(
      "From: jo@example.com\nSubject: Fwd: news\n\nSee below.\n\nBegin forwarded message:\n\nFrom: Ann <ann@example.org>\nDate: Wed Oct 9, 2002\nSubject: news\n\nWe shipped it.\n",
    )
    expect(mail.body).toBe("See below.\n\nWe shipped it.")
  })

  it("drops signatures conservatively", () => {
    expect(MessageClean.dropSignature("See you.\n\n-- \nAnn Smith\nExample Corp")).toBe("See you.")
    expect(MessageClean.dropSignature("See you.\n\nThanks,\nAnn")).toBe("See you.")
    // Too much after a sign-off to be a signature.
    const long =
      "Thanks,\nthe report is attached and the numbers for the third quarter look better than expected"
    expect(MessageClean.dropSignature(long)).toBe(long)
    // A "-- " far from the end (more than 15 lines follow) is not a signature delimiter.
    const body = `start\n-- \n${Array.from({ length: 20 }, (_, i) => `line ${i}`).join("\n")}`
    expect(MessageClean.dropSignature(body)).toBe(body)
  })

  it("cleans every message of the SpamAssassin -1 validation split", {
    timeout: 120_000,
  }, async () => {
    const messages = await SpamAssassin.load("validation")
    let withBody = 0
    let withSubject = 0
    let ownHeaders = 0
    for (const message of messages) {
      const out = await clean(message.text)
      expect(out.mail).toBe(true)
      if (out.body.trim() !== "") withBody++
      if (out.subject !== "") withSubject++
      // The message's own Message-Id line never reaches the body (a forwarded mail's headers may).
      const id = /^Message-Id:.*$/imu.exec(message.text)?.[0]
      if (id !== undefined && out.body.includes(id)) ownHeaders++
    }
    expect(ownHeaders).toBe(0)
    expect(messages).toHaveLength(650)
    expect(withBody).toBeGreaterThanOrEqual(645)
    expect(withSubject).toBeGreaterThanOrEqual(640)
  })
})
