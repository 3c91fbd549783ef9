/**
 * The page: one section per demo, each running its pipeline in a Web Worker.
 * The header's switch cuts the page off from the registry and the cloud.
 */

import type { Config } from "./Config.js"
import { NetworkToggle } from "./components/NetworkToggle.js"
import { DistillPanel } from "./panels/DistillPanel.js"
import { ModelsPanel } from "./panels/ModelsPanel.js"
import { OwnModelPanel } from "./panels/OwnModelPanel.js"
import { TriagePanel } from "./panels/TriagePanel.js"
import { VoiceAssistantPanel } from "./panels/VoiceAssistantPanel.js"

const SECTIONS = [
  { id: "assistant", title: "Voice assistant", Panel: VoiceAssistantPanel },
  { id: "triage", title: "Message triage", Panel: TriagePanel },
  { id: "models", title: "Models", Panel: ModelsPanel },
  { id: "distill", title: "Distill", Panel: DistillPanel },
  { id: "own-model", title: "Your model", Panel: OwnModelPanel },
] as const

export const App = ({ config }: { readonly config: Config }) => (
  <>
    <a class="skip" href="#main">
      Skip to content
    </a>
    <header class="top">
      <h1>Edgeline playground</h1>
      <nav aria-label="Demos">
        <ul>
          {SECTIONS.map(({ id, title }) => (
            <li key={id}>
              <a href={`#${id}`}>{title}</a>
            </li>
          ))}
        </ul>
      </nav>
      <NetworkToggle initial={config.online} />
    </header>
    <main id="main">
      {SECTIONS.map(({ id, title, Panel }) => (
        <section key={id} id={id} aria-labelledby={`${id}-title`}>
          <h2 id={`${id}-title`}>{title}</h2>
          <Panel config={config} />
        </section>
      ))}
    </main>
  </>
)
