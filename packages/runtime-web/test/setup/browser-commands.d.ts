// Types of the browser commands in commands.ts, as the tests see them.
export {}

declare module "vitest/browser" {
  interface BrowserCommands {
    startRequestLog(): Promise<void>
    requestLog(): Promise<Array<string>>
    goOffline(urlFragment: string): Promise<void>
    goOnline(): Promise<void>
    readJsonLines(path: string): Promise<Array<unknown>>
  }
}
