import type { TestApi } from "../../test/support/api";
import type { PilotApi } from "./storagePilot";

/** The pilot's view of an in-process API: its requests, and the emails the test transport recorded. */
export function inProcessPilotApi(api: TestApi): PilotApi {
  return { request: api.request, lastEmailTo: async (to) => api.mail.to(to).at(-1)! };
}
