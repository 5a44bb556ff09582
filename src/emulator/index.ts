/**
 * `ringcentral-effect-auth/emulator`: a local RingCentral auth surface for tests and demos, kept out of the
 * main entry so that apps embedding the library do not load a server.
 */
export { defaults, Emulator, type EmulatorOptions, type EmulatorService, layer, type RunningEmulator, start } from "./Emulator.ts"
export { type AppOptions, demoJwtApp, demoPasswordApp, demoUser, type Grant, type UserOptions } from "./Directory.ts"
export { extensionPath, type MintJwtOptions, revokePath, tokenPath } from "./EmulatedPlatform.ts"
export type { Fault } from "./Faults.ts"
export type { RequestLogEntry } from "./RequestLog.ts"
