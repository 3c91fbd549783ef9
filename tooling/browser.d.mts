export declare const CHROMIUM: string
export declare const chromiumMissing: () => string | undefined
export declare const chromiumArgs: (options?: { webgpu?: boolean }) => Array<string>
export declare const isolationHeaders: Record<string, string>
export declare const prebundled: Array<string>
