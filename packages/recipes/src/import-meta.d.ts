// `import.meta.url` is standard in ES modules on every host (browsers, Node,
// bundlers), but with `types: []` no lib declares it.
interface ImportMeta {
  readonly url: string
}
