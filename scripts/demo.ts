/**
 * `npm run demo`: `rc-auth check` against a local emulator with its demo credentials. First a JWT login; then
 * an app that is not allowed the JWT grant, which gets OAU-251 and falls back to the password grant.
 * No account, no network, no .env needed: the values below are the emulator's own demo ones.
 */
import { spawn } from "node:child_process"
import { once } from "node:events"
import { devNull } from "node:os"
import { fileURLToPath } from "node:url"
import { demoJwtApp, demoPasswordApp, demoUser, start } from "ringcentral-effect-auth/emulator"

const cli = fileURLToPath(new URL("../src/bin/rc-auth.ts", import.meta.url))

const run = async (title: string, env: Record<string, string>) => {
  console.log(`\n=== ${title}\n$ rc-auth check\n`)
  // --env-file points at an empty file so that a .env in this folder cannot mix real values into the demo.
  // The emulator runs in this process, so the child must not block it: spawn, then wait.
  const child = spawn(process.execPath, ["--", cli, "check", "--env-file", devNull], {
    stdio: "inherit",
    env: { ...process.env, ...env }
  })
  const [code] = await once(child, "exit")
  console.log(`(exit code ${code})`)
  return code
}

const emulator = await start()
try {
  console.log(`RingCentral emulator on ${emulator.url}`)
  const common = { RINGCENTRAL_SERVER_URL: emulator.url, RINGCENTRAL_JWT_TOKEN: emulator.mintJwt() }
  const jwt = await run("1. An app with the JWT grant: a JWT login", {
    ...common,
    RINGCENTRAL_CLIENT_ID: demoJwtApp.clientId,
    RINGCENTRAL_CLIENT_SECRET: demoJwtApp.clientSecret ?? ""
  })
  const fallback = await run("2. An app without the JWT grant: OAU-251, then the password fallback", {
    ...common,
    RINGCENTRAL_CLIENT_ID: demoPasswordApp.clientId,
    RINGCENTRAL_CLIENT_SECRET: demoPasswordApp.clientSecret ?? "",
    RINGCENTRAL_USERNAME: demoUser.username,
    RINGCENTRAL_EXTENSION: demoUser.extensionNumber,
    RINGCENTRAL_PASSWORD: demoUser.password
  })
  console.log("\nToken requests the emulator received:")
  for (const r of emulator.requests().filter((entry) => entry.path.endsWith("/oauth/token"))) {
    console.log(`  ${r.at}  ${r.grantType ?? "-"}  ${r.clientId ?? "-"}  ${r.status}${r.errorCode ? ` ${r.errorCode}` : ""}`)
  }
  process.exitCode = jwt === 0 && fallback === 0 ? 0 : 1
} finally {
  await emulator.stop()
}
