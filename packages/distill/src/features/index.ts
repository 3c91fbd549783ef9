/**
 * `@edgeline/distill/features`: the featurizer alone, for the device. It
 * imports no training code and no Node API, so a browser worker loads it.
 */

export type { SparseFeatures } from "./Featurizer.js"
export * as Featurizer from "./Featurizer.js"
export * as FeaturizerConfig from "./FeaturizerConfig.js"
export { FeaturizerConfigError } from "./FeaturizerConfigError.js"
export * as SparseBatch from "./SparseBatch.js"
