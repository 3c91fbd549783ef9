import "vitest/browser"

declare module "vitest/browser" {
  interface BrowserCommands {
    startRequestLog(): Promise<void>
    requestLog(): Promise<Array<string>>
    goOffline(urlFragment: string): Promise<void>
    goOnline(): Promise<void>
  }
}
