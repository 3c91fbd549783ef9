/**
 * wavefile is CommonJS under Node and ESM under bundlers (its `module`
 * field): under Node the class hangs off the default export, under Vite it is
 * a named export. This finds it either way, so recipes run in both worlds.
 */
import * as wavefile from "wavefile"

type WaveFileClass = typeof wavefile.WaveFile

export const WaveFile: WaveFileClass =
  (wavefile as { WaveFile?: WaveFileClass }).WaveFile ??
  (wavefile as unknown as { default: { WaveFile: WaveFileClass } }).default.WaveFile
