/**
 * The apps and users an emulator knows: which client may authenticate, with which grants, as whom.
 * The demo entries are emulator-only values, printed on purpose so a person can point a client at it.
 */

/** A grant an app can be allowed, as the Developer Console names it. */
export type Grant = "jwt" | "password" | "refresh_token"

export const grantTypes = {
  jwt: "urn:ietf:params:oauth:grant-type:jwt-bearer",
  password: "password",
  refresh_token: "refresh_token"
} as const satisfies Record<Grant, string>

export interface AppOptions {
  readonly clientId: string
  /** Leave out for a public client, which sends `client_id` in the body instead of Basic auth. */
  readonly clientSecret?: string
  /** Defaults to every grant. */
  readonly grants?: ReadonlyArray<Grant>
  /** The app setting "Issue refresh tokens". Defaults to true. */
  readonly issueRefreshTokens?: boolean
  readonly scope?: string
}

export interface UserOptions {
  /** The extension id: numeric, as RingCentral's are. */
  readonly id: number
  readonly accountId: string
  readonly extensionNumber: string
  /** The main company number used as the password-grant username. */
  readonly username: string
  readonly password: string
  readonly firstName: string
  readonly lastName: string
  readonly email: string
  readonly status?: "Enabled" | "Disabled" | "Frozen" | "NotActivated" | "Unassigned"
}

export interface App {
  readonly clientId: string
  readonly clientSecret: string | undefined
  readonly grants: ReadonlySet<Grant>
  readonly issueRefreshTokens: boolean
  readonly scope: string
}

export type User = Required<UserOptions>

export const demoJwtApp: AppOptions = {
  clientId: "demoJwtApp",
  clientSecret: "demo-jwt-app-secret",
  grants: ["jwt", "refresh_token"]
}

/** An app without the JWT grant: a JWT login gets OAU-251, the case the password fallback exists for. */
export const demoPasswordApp: AppOptions = {
  clientId: "demoPasswordApp",
  clientSecret: "demo-password-app-secret",
  grants: ["password", "refresh_token"]
}

export const demoUser: UserOptions = {
  id: 62264425008,
  accountId: "37439510",
  extensionNumber: "101",
  username: "+16505550100",
  password: "demo-password",
  firstName: "Ada",
  lastName: "Lovelace",
  email: "ada@example.com"
}

const defaultScope = "ReadAccounts CallControl SMS"

export class Directory {
  readonly apps: ReadonlyMap<string, App>
  readonly users: ReadonlyArray<User>
  private readonly usersById: ReadonlyMap<string, User>
  private readonly usersByLogin: ReadonlyMap<string, User>

  constructor(apps: ReadonlyArray<AppOptions>, users: ReadonlyArray<UserOptions>) {
    this.apps = new Map(apps.map((app) => [app.clientId, {
      clientId: app.clientId,
      clientSecret: app.clientSecret,
      grants: new Set(app.grants ?? ["jwt", "password", "refresh_token"]),
      issueRefreshTokens: app.issueRefreshTokens ?? true,
      scope: app.scope ?? defaultScope
    }]))
    this.users = users.map((user) => ({ status: "Enabled", ...user }))
    this.usersById = new Map(this.users.map((user) => [String(user.id), user]))
    this.usersByLogin = new Map(this.users.map((user) => [loginKey(user.username, user.extensionNumber), user]))
  }

  userById(id: string): User | undefined {
    return this.usersById.get(id)
  }

  /** Finds a user by `username` with an optional `*ext` suffix, or a separate extension field. */
  userByLogin(username: string, extension: string | undefined): User | undefined {
    const star = username.indexOf("*")
    const number = star === -1 ? username : username.slice(0, star)
    const ext = star === -1 ? extension : username.slice(star + 1)
    const user = this.usersByLogin.get(loginKey(number, ext ?? ""))
    if (user !== undefined || (ext !== undefined && ext !== "")) return user
    // A login without an extension is the company's main extension: the first user on that number.
    return this.users.find((candidate) => normalizeNumber(candidate.username) === normalizeNumber(number))
  }
}

const normalizeNumber = (number: string) => number.replace(/[^\d]/g, "")
const loginKey = (number: string, extension: string) => `${normalizeNumber(number)}*${extension}`
