import type { Telemetry } from "@edgeline/core"

export declare const TOTAL: number
export declare const TOKEN: string
export declare const idOf: (n: number) => string
export declare const numberOf: (id: string) => number | undefined
export declare const inputOf: (n: number) => Telemetry.Input & { readonly id: string }
