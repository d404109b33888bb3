import { expect } from "chai";
import { ConfigError, loadConfig } from "../../server/config";

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error("expected loadConfig to refuse the environment");
}

describe("account configuration", () => {
  it("defaults to 12-hour sessions, week-long invitations, links to the API itself, and no configured admin", () => {
    const config = loadConfig({ PORT: "8080" });
    expect(config.accounts).to.deep.equal({ sessionTtlMinutes: 720, invitationTtlHours: 168, publicUrl: "http://127.0.0.1:8080" });
    expect(config.platformAdmin).to.equal(undefined);
  });

  it("reads SESSION_TTL_MINUTES, INVITATION_TTL_HOURS, PUBLIC_URL (without trailing slash) and the platform admin", () => {
    const config = loadConfig({
      SESSION_TTL_MINUTES: "60",
      INVITATION_TTL_HOURS: "48",
      PUBLIC_URL: "https://registry.example.org/",
      PLATFORM_ADMIN_EMAIL: "Ops@Registry.Example.org",
      PLATFORM_ADMIN_PASSWORD: "a long operator passphrase",
    });
    expect(config.accounts).to.deep.equal({ sessionTtlMinutes: 60, invitationTtlHours: 48, publicUrl: "https://registry.example.org" });
    expect(config.platformAdmin).to.deep.equal({ email: "ops@registry.example.org", password: "a long operator passphrase" });
  });

  it("names each bad account variable", () => {
    expect(problemsOf({ SESSION_TTL_MINUTES: "0" })[0]).to.match(/^SESSION_TTL_MINUTES: /);
    expect(problemsOf({ INVITATION_TTL_HOURS: "a week" })[0]).to.match(/^INVITATION_TTL_HOURS: /);
    expect(problemsOf({ PUBLIC_URL: "registry" })[0]).to.match(/^PUBLIC_URL: /);
    expect(problemsOf({ PLATFORM_ADMIN_EMAIL: "ops@example.org" })).to.deep.equal(["PLATFORM_ADMIN_EMAIL, PLATFORM_ADMIN_PASSWORD: set both or neither"]);
    expect(problemsOf({ PLATFORM_ADMIN_EMAIL: "ops@example.org", PLATFORM_ADMIN_PASSWORD: "short" })).to.deep.equal([
      "PLATFORM_ADMIN_PASSWORD: must be at least 10 characters long",
    ]);
  });
});
