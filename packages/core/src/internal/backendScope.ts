/**
 * The scope each backend made by `InferenceBackend.make` lives in. The
 * live-model registry forks its loads and its watching of the source into
 * it, so they end when the backend does, not with the program.
 */
import type { Scope } from "effect"
import type { Shape } from "../InferenceBackend.js"

export const scopes = new WeakMap<Shape, Scope.Scope>()
