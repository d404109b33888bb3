import type { FieldError } from "../http/problem";

export const PASSWORD_MIN_LENGTH = 10;
/** Bounds the work a single request can ask of the KDF. */
export const PASSWORD_MAX_LENGTH = 256;

/**
 * Why a new password is refused (empty when it is accepted). Length is what makes a password strong
 * (NIST SP 800-63B), so there are no composition rules; we only refuse what is trivially guessed.
 */
export function passwordProblems(password: string, context: { email?: string } = {}): string[] {
  const characters = [...password.normalize("NFKC")];
  const problems: string[] = [];
  if (characters.length < PASSWORD_MIN_LENGTH) problems.push(`must be at least ${PASSWORD_MIN_LENGTH} characters long`);
  if (characters.length > PASSWORD_MAX_LENGTH) problems.push(`must be at most ${PASSWORD_MAX_LENGTH} characters long`);
  if (characters.length > 1 && new Set(characters).size === 1) problems.push("must not be one character repeated");
  const mailbox = context.email?.split("@")[0]?.toLowerCase();
  if (mailbox && mailbox.length >= 4 && password.toLowerCase().includes(mailbox)) {
    problems.push("must not contain the name of your email address");
  }
  return problems;
}

/**
 * Field errors for a new password and its confirmation, named as the request body names them
 * (`password`/`passwordConfirmation` at sign-up, `newPassword`/`newPasswordConfirmation` on change).
 */
export function newPasswordErrors(
  password: { field: string; value: string },
  confirmation: { field: string; value: string },
  context: { email?: string } = {},
): FieldError[] {
  const errors = passwordProblems(password.value, context).map((message) => ({ field: `body.${password.field}`, message }));
  if (confirmation.value !== password.value) {
    errors.push({ field: `body.${confirmation.field}`, message: `must repeat ${password.field} exactly` });
  }
  return errors;
}
