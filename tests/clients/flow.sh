#!/bin/sh
# A Suno client in plain shell with curl: generate a song, poll Get Music Details until it is finished.
# Exit 0 on success, 2 when the API reported a failure; the base URL and key come from
# SUNO_BASE_URL and SUNO_API_KEY; INSTRUMENTAL=true asks for no vocals.
# `sh flow.sh quoted-flag` runs it with one realistic bug: the flag from the variable is quoted in
# the JSON ("instrumental":"false"), a string where the documents want a boolean.
set -u
auth="Authorization: Bearer $SUNO_API_KEY"
instrumental="${INSTRUMENTAL:-false}"
if [ "${1:-}" = quoted-flag ]; then flag="\"$instrumental\""; else flag="$instrumental"; fi
body='{"customMode":false,"instrumental":'"$flag"',"prompt":"rain on a tin roof","model":"V4_5","callBackUrl":"http://127.0.0.1:9/callback"}'

code_of() { printf '%s' "$1" | sed -n 's/^{"code":\([0-9]*\).*/\1/p'; }

answer=$(curl -sS -X POST "$SUNO_BASE_URL/api/v1/generate" -H "$auth" -H "Content-Type: application/json" -d "$body") || exit 1
if [ "$(code_of "$answer")" != 200 ]; then echo "failed: $answer" >&2; exit 2; fi
task=$(printf '%s' "$answer" | sed -n 's/.*"taskId":"\([^"]*\)".*/\1/p')
[ -n "$task" ] || exit 1

polls=0
while [ "$polls" -lt 400 ]; do
  answer=$(curl -sS "$SUNO_BASE_URL/api/v1/generate/record-info?taskId=$task" -H "$auth") || exit 1
  if [ "$(code_of "$answer")" != 200 ]; then echo "failed: $answer" >&2; exit 2; fi
  status=$(printf '%s' "$answer" | grep -o '"status":"[A-Z_]*"' | head -n 1 | cut -d'"' -f4)
  case "$status" in
    SUCCESS) echo "$task finished"; exit 0 ;;
    PENDING|TEXT_SUCCESS|FIRST_SUCCESS) ;;
    *) echo "failed: the task ended $status" >&2; exit 2 ;;
  esac
  polls=$((polls + 1))
  sleep 0.05
done
echo "failed: the task did not finish" >&2
exit 2
