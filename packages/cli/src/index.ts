/** @edgeline/cli — the `edgeline` command; its commands are importable for scripting. */
export * as VoiceGateCommand from "./VoiceGateCommand.js"
