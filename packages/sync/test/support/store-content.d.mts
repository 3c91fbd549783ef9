export declare const CHUNK_IDS: number
export declare const random: (seed: number) => () => number
export declare const chunkBytes: (id: number) => Uint8Array
