import { HardhatUserConfig, subtask } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
import "@nomicfoundation/hardhat-toolbox";
import solc from "solc";

const SOLC_VERSION = "0.8.28";

// These machines have no internet: compile with the soljson.js shipped in the pinned `solc` npm package
// and refuse any other version instead of letting Hardhat try a download.
subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD).setAction(async ({ solcVersion }: { solcVersion: string }) => {
  if (solcVersion !== SOLC_VERSION) {
    throw new Error(`Only solc ${SOLC_VERSION} is bundled (npm package "solc"); a contract asked for ${solcVersion}.`);
  }
  return {
    compilerPath: require.resolve("solc/soljson.js"),
    isSolcJs: true,
    version: SOLC_VERSION,
    longVersion: solc.version().replace(/\.Emscripten\.clang$/, ""),
  };
});

const config: HardhatUserConfig = {
  solidity: {
    version: SOLC_VERSION,
    settings: {
      evmVersion: "cancun",
      optimizer: { enabled: true, runs: 10_000 },
    },
  },
  // The local stack's JSON-RPC server would otherwise print every call it serves.
  networks: { hardhat: { loggingEnabled: false } },
  paths: { tests: "test" },
  mocha: { timeout: 120_000 },
  gasReporter: { enabled: false },
};

export default config;
