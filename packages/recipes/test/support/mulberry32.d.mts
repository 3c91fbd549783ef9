/** Floats in [0, 1), the same sequence for the same seed. */
export declare const mulberry32: (seed: number) => () => number
