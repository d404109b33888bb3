import { expect } from "chai";
import { ConfigError, listeningOn, loadConfig } from "../../server/config";

const KEY = `0x${"11".repeat(32)}`;
const MASTER_KEY = "22".repeat(32);

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error("expected loadConfig to refuse the environment");
}

describe("server config", () => {
  it("defaults to local mode on loopback with the database in data/", () => {
    const config = loadConfig({});
    expect(config.local).to.equal(true);
    expect(config.api).to.deep.equal({ host: "127.0.0.1", port: 3000 });
    expect(config.chain.localHost).to.equal("127.0.0.1");
    expect(config.chain.localPort).to.equal(8545);
    expect(config.databasePath).to.equal("data/registry.db");
    expect(config.metadataBaseUrl).to.equal("http://127.0.0.1:3000/metadata/");
    expect(config.indexer).to.deep.equal({ pollIntervalMs: 1000, confirmations: 0, reorgWindow: 64, maxRange: 10_000 });
  });

  it("reads every variable it documents", () => {
    const config = loadConfig({
      HOST: "0.0.0.0",
      PORT: "8080",
      RPC_URL: "http://10.0.0.5:8545",
      PUBLIC_URL: "https://registry.example",
      REGISTRY_ADDRESS: "0x00000000000000000000000000000000000000aa",
      REGISTRY_DEPLOY_BLOCK: "1234",
      DATABASE_PATH: "/tmp/x.db",
      METADATA_BASE_URL: "https://registry.example/metadata/",
      INDEXER_POLL_MS: "250",
      INDEXER_CONFIRMATIONS: "12",
      INDEXER_REORG_WINDOW: "128",
      INDEXER_MAX_RANGE: "2000",
      READ_DEGRADATION_PER_YEAR: "0.01",
      READ_SAFETY_MARGIN: "0.5",
      MASTER_KEY,
    });
    expect(config.local).to.equal(false);
    expect(config.api).to.deep.equal({ host: "0.0.0.0", port: 8080 });
    expect(config.chain.rpcUrl).to.equal("http://10.0.0.5:8545");
    expect(config.chain.registryAddress).to.equal("0x00000000000000000000000000000000000000aa");
    expect(config.chain.registryDeployBlock).to.equal(1234n);
    expect(config.databasePath).to.equal("/tmp/x.db");
    expect(config.metadataBaseUrl).to.equal("https://registry.example/metadata/");
    expect(config.indexer).to.deep.equal({ pollIntervalMs: 250, confirmations: 12, reorgWindow: 128, maxRange: 2000 });
    expect(config.readRules).to.include({ degradationPerYear: 0.01, safetyMargin: 0.5, historyMaxAgeYears: 3 });
    expect(config.masterKey).to.deep.equal(Buffer.from(MASTER_KEY, "hex"));
  });

  it("names each faulty variable and why", () => {
    const problems = problemsOf({ PORT: "70000", ADMIN_PRIVATE_KEY: "0x1234", RPC_URL: "not a url" });
    expect(problems.some((p) => p.startsWith("PORT:"))).to.equal(true);
    expect(problems.some((p) => p.startsWith("ADMIN_PRIVATE_KEY:") && p.includes("32-byte"))).to.equal(true);
    expect(problems.some((p) => p.startsWith("RPC_URL:"))).to.equal(true);
  });

  it("needs the three keys to deploy on a remote chain, but not to reuse a registry there", () => {
    const problems = problemsOf({ RPC_URL: "http://127.0.0.1:9999", PUBLIC_URL: "https://registry.example", ADMIN_PRIVATE_KEY: KEY, MASTER_KEY });
    expect(problems).to.have.length(2);
    expect(problems[0]).to.match(/^ISSUER_PRIVATE_KEY: required/);
    expect(problems[1]).to.match(/^RECORDER_PRIVATE_KEY: required/);
    expect(loadConfig({ RPC_URL: "http://127.0.0.1:9999", PUBLIC_URL: "https://registry.example", REGISTRY_ADDRESS: `0x${"ab".repeat(20)}`, MASTER_KEY }).local).to.equal(false);
  });

  it("needs PUBLIC_URL outside local mode, where the bind address is no place to send users", () => {
    const problems = problemsOf({ RPC_URL: "http://127.0.0.1:9999", REGISTRY_ADDRESS: `0x${"ab".repeat(20)}`, MASTER_KEY });
    expect(problems).to.have.length(1);
    expect(problems[0]).to.match(/^PUBLIC_URL: required with RPC_URL/);
  });

  it("needs MASTER_KEY outside local mode, and names a malformed one; local mode leaves it to the stack", () => {
    const remote = { RPC_URL: "http://127.0.0.1:9999", PUBLIC_URL: "https://registry.example", REGISTRY_ADDRESS: `0x${"ab".repeat(20)}` };
    expect(problemsOf(remote)).to.deep.equal([
      "MASTER_KEY: required with RPC_URL to seal managed-wallet keys (32 bytes as hex or base64); only local mode generates one",
    ]);
    const [malformed] = problemsOf({ ...remote, MASTER_KEY: "too-short" });
    expect(malformed).to.match(/^MASTER_KEY: must be 32 bytes/);
    expect(malformed).to.not.include("too-short");
    expect(loadConfig({ ...remote, MASTER_KEY: Buffer.from(MASTER_KEY, "hex").toString("base64") }).masterKey).to.deep.equal(Buffer.from(MASTER_KEY, "hex"));
    expect(loadConfig({}).masterKey).to.equal(undefined);
  });

  it("asks the indexer command for no deploy keys, MASTER_KEY or PUBLIC_URL: it deploys, seals and mails nothing", () => {
    const config = loadConfig({ RPC_URL: "http://127.0.0.1:9999" }, "indexer");
    expect([config.local, config.masterKey]).to.deep.equal([false, undefined]);
    expect(problemsOf({ RPC_URL: "http://127.0.0.1:9999", PUBLIC_URL: "https://registry.example" }).map((p) => p.split(":")[0])).to.include("MASTER_KEY");
  });

  it("refuses REGISTRY_ADDRESS in local mode, where the chain is new at every start", () => {
    expect(problemsOf({ REGISTRY_ADDRESS: `0x${"ab".repeat(20)}` })[0]).to.match(/^REGISTRY_ADDRESS:/);
  });
});

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

  it("names the bound port in the URLs left at their defaults when PORT=0, and keeps explicit ones", () => {
    const defaulted = listeningOn(loadConfig({ PORT: "0" }), 41234);
    expect([defaulted.api.port, defaulted.accounts.publicUrl, defaulted.metadataBaseUrl]).to.deep.equal([41234, "http://127.0.0.1:41234", "http://127.0.0.1:41234/metadata/"]);
    const explicit = listeningOn(loadConfig({ PORT: "0", PUBLIC_URL: "https://registry.example/", METADATA_BASE_URL: "https://meta.example/t/" }), 41234);
    expect([explicit.accounts.publicUrl, explicit.metadataBaseUrl]).to.deep.equal(["https://registry.example", "https://meta.example/t/"]);
    const fixed = loadConfig({ PORT: "3001" });
    expect(listeningOn(fixed, 3001)).to.equal(fixed);
  });
});
