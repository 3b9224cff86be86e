// Trial of @felores/kie-ai-mcp-server (npm; an MCP server for kie.ai) against a locally started mock.
//
//   suno-mock serve --provider kie --port 8801 --time-scale 200 --sensitive-word forbidden
//   cd docs/sdk-trials/js && npm install && KIE_MOCK_URL=http://127.0.0.1:8801 node trial_kie_ai_mcp_server.mjs
//
// The server is driven as an MCP host would drive it: the official MCP client SDK spawns it over
// stdio. What it needs: KIE_AI_API_KEY (any non-empty key) and KIE_AI_BASE_URL=<mock>/api/v1 (its own
// variable); KIE_AI_DB_PATH points at a scratch file (its task database). Without KIE_AI_CALLBACK_URL
// it sends its fallback https://proxy.kie.ai/mcp-callback, which the mock refuses to call (loopback only).
// Run 1 uses KIE_AI_ALLOW_DIRECT_GENERATION=true (suno_generate_music callable directly); run 2 keeps
// the default safeguard: prepare_media_generation, host approval answered through MCP elicitation,
// submit_media_generation.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";

const MOCK = process.env.KIE_MOCK_URL ?? "http://127.0.0.1:8801";
const require = createRequire(import.meta.url);
const serverEntry = join(require.resolve("@felores/kie-ai-mcp-server/package.json"), "..", "dist", "index.js");
const results = [];

function record(name, ok, detail) {
  results.push({ name, ok });
  console.log(`${ok ? "OK  " : "FAIL"} ${name}: ${String(detail).slice(0, 400)}`);
}

function textOf(result) {
  const text = result?.content?.[0]?.text ?? "";
  try {
    return JSON.parse(text);
  } catch {
    return { raw: text, isError: result?.isError };
  }
}

async function connect(extraEnv) {
  const env = {
    PATH: process.env.PATH,
    KIE_AI_API_KEY: "trial-key",
    KIE_AI_BASE_URL: `${MOCK}/api/v1`,
    KIE_AI_DB_PATH: join(mkdtempSync(join(tmpdir(), "kie-mcp-")), "tasks.db"),
    ...extraEnv,
  };
  const transport = new StdioClientTransport({ command: process.execPath, args: [serverEntry], env, stderr: "ignore" });
  const client = new Client({ name: "suno-mockkit-trial", version: "0" }, { capabilities: { elicitation: {} } });
  client.setRequestHandler(ElicitRequestSchema, async () => ({ action: "accept", content: { confirm: true } }));
  await client.connect(transport);
  return client;
}

const SONG = {
  prompt: "[Verse]\nNeon rain on empty streets",
  customMode: true,
  instrumental: false,
  style: "synthwave",
  title: "Neon Rain",
  model: "V4_5",
};

async function pollAndDownload(client, label, taskId) {
  let status;
  for (let i = 0; i < 30; i++) {
    status = textOf(await client.callTool({ name: "get_task_status", arguments: { task_id: taskId } }));
    if (status.status === "SUCCESS" || status.status === "failed") break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const files = status.audio_files ?? [];
  record(`${label} get_task_status until SUCCESS`, status.status === "SUCCESS" && files.length === 2,
    JSON.stringify({ status: status.status, audio_files: files.map((f) => f.audio_url), meta: status.suno_metadata }));
  if (files[0]?.audio_url) {
    const res = await fetch(files[0].audio_url);
    const bytes = (await res.arrayBuffer()).byteLength;
    record(`${label} download audio_url`, res.ok && bytes > 0, `${res.status} ${bytes} bytes`);
  }
  const waited = textOf(await client.callTool({
    name: "wait_for_task", arguments: { task_id: taskId, timeout_seconds: 30, interval_seconds: 1 },
  }));
  record(`${label} wait_for_task`, !waited.isError && JSON.stringify(waited).includes("completed"),
    JSON.stringify(waited));
}

// Run 1: direct generation.
{
  const client = await connect({ KIE_AI_ALLOW_DIRECT_GENERATION: "true" });
  const tools = (await client.listTools()).tools.map((t) => t.name);
  record("direct: tools/list has suno_generate_music", tools.includes("suno_generate_music"), `${tools.length} tools`);
  const created = textOf(await client.callTool({ name: "suno_generate_music", arguments: SONG }));
  record("direct: suno_generate_music (POST /api/v1/generate)", Boolean(created.task_id), JSON.stringify(created));
  if (created.task_id) await pollAndDownload(client, "direct:", created.task_id);
  const listed = textOf(await client.callTool({ name: "list_tasks", arguments: { limit: 5 } }));
  record("direct: list_tasks", JSON.stringify(listed).includes(created.task_id ?? "none"), JSON.stringify(listed));
  // A failing task (the mock's --sensitive-word): the server maps the documented status to "failed".
  const bad = textOf(await client.callTool({
    name: "suno_generate_music", arguments: { ...SONG, prompt: "forbidden words" },
  }));
  const waitedBad = textOf(await client.callTool({
    name: "wait_for_task", arguments: { task_id: bad.task_id, timeout_seconds: 10, interval_seconds: 1 },
  }));
  record("direct: wait_for_task of a failing task", waitedBad.status === "failed" && /sensitive/i.test(waitedBad.error),
    JSON.stringify({ status: waitedBad.status, error: waitedBad.error }));
  await client.close();
}

// Run 2: the default approval flow.
{
  const client = await connect({});
  const prepared = textOf(await client.callTool({
    name: "prepare_media_generation", arguments: { items: [{ tool: "suno_generate_music", args: SONG }] },
  }));
  record("approval: prepare_media_generation (elicitation accepted)", prepared.approved === true,
    JSON.stringify({ status: prepared.status, approved: prepared.approved, reason: prepared.reason, raw: prepared.raw }));
  if (prepared.planId) {
    const submitted = textOf(await client.callTool({ name: "submit_media_generation", arguments: { planId: prepared.planId } }));
    const taskId = JSON.stringify(submitted).match(/"task_?[iI]d"\s*:\s*"([0-9a-f]{32})"/)?.[1];
    record("approval: submit_media_generation", Boolean(taskId), JSON.stringify(submitted));
    if (taskId) await pollAndDownload(client, "approval:", taskId);
  }
  await client.close();
}

const failed = results.filter((r) => !r.ok).length;
console.log(`\n${results.length - failed} passed, ${failed} failed`);
process.exit(failed);
