// The `solc` package ships no types; the Hardhat config only reads its version.
declare module "solc" {
  const solc: { version(): string };
  export default solc;
}
