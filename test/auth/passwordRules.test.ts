import { expect } from "chai";
import { newPasswordErrors, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, passwordProblems } from "../../server/auth/passwordRules";

describe("password rules (server/auth/passwordRules.ts)", () => {
  it("accepts a long passphrase", () => {
    expect(passwordProblems("correct horse battery staple")).to.deep.equal([]);
  });

  it("refuses fewer than 10 characters, counting characters rather than UTF-16 units", () => {
    expect(passwordProblems("123456789")).to.deep.equal([`must be at least ${PASSWORD_MIN_LENGTH} characters long`]);
    expect(passwordProblems("1234567890")).to.deep.equal([]);
    // Nine emoji are eighteen UTF-16 units but nine characters.
    expect(passwordProblems("🔑".repeat(9))).to.include(`must be at least ${PASSWORD_MIN_LENGTH} characters long`);
  });

  it("refuses more than 256 characters, which would only load the KDF", () => {
    expect(passwordProblems("ab".repeat(PASSWORD_MAX_LENGTH))).to.deep.equal([`must be at most ${PASSWORD_MAX_LENGTH} characters long`]);
  });

  it("refuses one character repeated", () => {
    expect(passwordProblems("aaaaaaaaaaaa")).to.deep.equal(["must not be one character repeated"]);
  });

  it("refuses a password containing the email's mailbox name, in any case", () => {
    expect(passwordProblems("my-ADALOVELACE-pass", { email: "adalovelace@example.org" })).to.deep.equal(["must not contain the name of your email address"]);
    // Very short mailbox names would refuse too much.
    expect(passwordProblems("a perfectly fine one", { email: "al@example.org" })).to.deep.equal([]);
  });

  it("names the fields of the request: every rule broken on the password, a mismatch on the confirmation", () => {
    expect(newPasswordErrors({ field: "newPassword", value: "short" }, { field: "newPasswordConfirmation", value: "shorter" })).to.deep.equal([
      { field: "body.newPassword", message: `must be at least ${PASSWORD_MIN_LENGTH} characters long` },
      { field: "body.newPasswordConfirmation", message: "must repeat newPassword exactly" },
    ]);
    expect(newPasswordErrors({ field: "password", value: "long enough pass" }, { field: "passwordConfirmation", value: "long enough pass" })).to.deep.equal([]);
  });
});
