/** `GET /v1/models` and `GET /v1/models/{id}` in OpenAI's shapes. */
import type { ChatClassifier } from "../ChatClassifier.js"
import { ApiError } from "./ApiError.js"

export interface Model {
  readonly id: string
  readonly object: "model"
  readonly created: number
  readonly owned_by: string
}

/** What a listing needs of a model of either kind (a chat classifier or a transcriber). */
export type Listed = Pick<ChatClassifier, "id" | "ownedBy">

export const describe = (model: Listed, created: number): Model => ({
  id: model.id,
  object: "model",
  created,
  owned_by: model.ownedBy ?? "edgeline",
})

export const list = (models: Iterable<Listed>, created: number) => ({
  object: "list" as const,
  data: [...models].map((m) => describe(m, created)),
})

export const notFound = (id: string): ApiError =>
  new ApiError({
    status: 404,
    type: "invalid_request_error",
    param: "model",
    code: "model_not_found",
    message: `The model \`${id}\` does not exist or you do not have access to it.`,
  })
