/**
 * The discard endpoint from TypeScript, with types generated from the spec:
 *
 *   npx openapi-typescript openapi/discard.openapi.yaml -o examples/typescript/discard-api.ts
 *
 * `openapi-fetch` checks the path, its parameters and the answer's shape at compile time;
 * the envelope's `success` tells a discard's result from an error.
 */
import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "./discard-api";

type Schemas = components["schemas"];

export const DISCARD_PATH =
  "/v1/accounts/{accountGroupId}/campaigns/{campaignId}/workflow-instances/{workflowInstanceId}/discard";

/** The three IDs in the discard's path. */
export type WorkflowInstanceIds = paths[typeof DISCARD_PATH]["post"]["parameters"]["path"];

/** A client for the mock (`./run serve`, Prism's port) or, with another base URL, a deployment. */
export function discardClient(apiKey: string, baseUrl = "http://127.0.0.1:4010"): Client<paths> {
  return createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${apiKey}` } });
}

function post(client: Client<paths>, ids: WorkflowInstanceIds) {
  return client.POST(DISCARD_PATH, { params: { path: ids } });
}

type Outcome = Awaited<ReturnType<typeof post>>;

/**
 * Every body the discard answers with: a result (`success: true`) or an error envelope, as
 * openapi-fetch types them (it leaves out members that are always null, such as a result's `error`).
 */
export type DiscardAnswer = NonNullable<Outcome["data"]> | NonNullable<Outcome["error"]>;

/** The spec's own envelope types, for code that builds or stores answers. */
export type DiscardResult = Schemas["CampaignApprovalResultSuccessResponse"];
export type DiscardError = Schemas["ErrorResponse"];

/** Discards the instance's pending content; the answer is the envelope, whatever the status. */
export async function discard(client: Client<paths>, ids: WorkflowInstanceIds): Promise<DiscardAnswer> {
  const { data, error, response } = await post(client, ids);
  const answer = data ?? error;
  if (answer === undefined) {
    throw new Error(`HTTP ${response.status} without an envelope`);
  }
  return answer;
}

/** One line for a person: what happened to the instance, or why nothing did. */
export function describe(answer: DiscardAnswer): string {
  if (answer.success) {
    const { action, workflowInstanceId, leadStatus } = answer.data;
    const status: Schemas["WorkflowStatus"] = leadStatus.workflowStatus;
    return `${action} ${workflowInstanceId}: now ${status} (${leadStatus.workflowStopReason ?? "no stop reason"})`;
  }
  return `${answer.error.code}: ${answer.error.message}`;
}
