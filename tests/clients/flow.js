// A small Suno client in plain JavaScript (Node 18+, fetch, no npm packages): generate a song, poll
// Get Music Details until it is finished. Exit 0 on success, 2 when the API reported a failure.
// The base URL and key come from SUNO_BASE_URL and SUNO_API_KEY.
// `node flow.js BUG` runs it with one realistic bug: `ignore-code` trusts HTTP 200 without reading
// the body's code; `string-flag` sends customMode as the string "false"; `first-success` takes
// FIRST_SUCCESS for finished (the first track plays already; the second has no audioUrl yet).
"use strict";

const base = process.env.SUNO_BASE_URL;
const key = process.env.SUNO_API_KEY;
const bug = process.argv[2] || "";
const RUNNING = new Set(["PENDING", "TEXT_SUCCESS", "FIRST_SUCCESS"]);

class ApiFailure extends Error {}

async function call(method, path, body) {
  const answer = await fetch(base + path, {
    method,
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let payload;
  try {
    payload = await answer.json();
  } catch (error) {
    throw new ApiFailure(`HTTP ${answer.status} without a JSON body`);
  }
  if (bug !== "ignore-code" && payload.code !== 200) {
    throw new ApiFailure(`code ${payload.code}: ${payload.msg}`);
  }
  return payload.data;
}

async function main() {
  const created = await call("POST", "/api/v1/generate", {
    customMode: bug === "string-flag" ? "false" : false,
    instrumental: false,
    prompt: "rain on a tin roof",
    model: "V4_5",
    callBackUrl: "http://127.0.0.1:9/callback",
  });
  for (let poll = 0; poll < 400; poll += 1) {
    const data = await call("GET", `/api/v1/generate/record-info?taskId=${encodeURIComponent(created.taskId)}`);
    if (data.status === "SUCCESS" || (bug === "first-success" && data.status === "FIRST_SUCCESS")) {
      for (const track of data.response.sunoData) console.log(track.audioUrl);
      return;
    }
    if (!RUNNING.has(data.status)) throw new ApiFailure(`the task ended ${data.status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new ApiFailure("the task did not finish");
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error instanceof ApiFailure ? `failed: ${error.message}` : error.stack);
    process.exit(error instanceof ApiFailure ? 2 : 1);
  },
);
