/**
 * Discards one instance and prints what happened:
 *
 *   DISCARD_BASE_URL=http://127.0.0.1:4010 DISCARD_IDS=acme-retail/<campaignId>/<workflowInstanceId> node dist/main.js
 */
import { describe, discard, discardClient } from "./discard.js";

declare const process: { env: Record<string, string | undefined>; exitCode?: number };

const [accountGroupId = "", campaignId = "", workflowInstanceId = ""] = (process.env.DISCARD_IDS ?? "").split("/");
const client = discardClient(process.env.DISCARD_API_KEY ?? "sk_test_execute", process.env.DISCARD_BASE_URL);
const answer = await discard(client, { accountGroupId, campaignId, workflowInstanceId });
console.log(describe(answer));
process.exitCode = answer.success ? 0 : 1;
