import { render } from "preact"
import { App } from "./App.js"
import * as Config from "./Config.js"
import "./styles.css"

const root = document.getElementById("app")!
Config.load().then(
  (config) => render(<App config={config} />, root),
  (e: unknown) => {
    root.textContent = `The playground server did not answer (${String(e)}): is \`npm start\` running?`
  },
)
