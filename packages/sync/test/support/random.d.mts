export declare const random: (seed: number) => () => number
