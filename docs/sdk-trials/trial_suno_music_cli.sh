#!/usr/bin/env bash
# Trial of suno-music-cli (PyPI; the `suno` command for sunoapi.org) against a locally started mock.
#
#   suno-mock serve --provider sunoapi --port 8802 --time-scale 200 --sensitive-word forbidden
#   pip install suno-music-cli==0.1.2
#   SUNO_MOCK_URL=http://127.0.0.1:8802 bash docs/sdk-trials/trial_suno_music_cli.sh
#
# What it needs: SUNO_API_KEY (any non-empty key) and SUNO_BASE_URL (the CLI's own variable).
# HOME points at a scratch folder because the CLI keeps ~/.suno/jobs.json. The callback URL is left
# at the CLI's default placeholder (https://example.com/callback), which the mock refuses to call.
set -u
MOCK=${SUNO_MOCK_URL:-http://127.0.0.1:8802}
SUNO=${SUNO_CLI:-suno}
export SUNO_API_KEY=trial-key SUNO_BASE_URL=$MOCK
export HOME=$(mktemp -d) COLUMNS=200
out=$HOME/out; mkdir -p "$out"
pass=0; fail=0; known=0
# Failures that are the CLI's (README.md says why); the exit status counts the others.
KNOWN_FAILS="|extend --continue-at|extend --use-defaults|"
run() {  # run NAME CMD...: prints OK/FAIL with the command's output
  local name=$1; shift
  res=$("$@" 2>&1); local rc=$?
  if [ $rc -eq 0 ]; then pass=$((pass + 1)); echo "OK   $name"
  elif [[ $KNOWN_FAILS == *"|$name|"* ]]; then known=$((known + 1)); echo "FAIL $name (exit $rc) [KNOWN: CLI bug]"
  else fail=$((fail + 1)); echo "FAIL $name (exit $rc)"; fi
  echo "$res" | grep -v '^[│╭╰]' | sed 's/^/     /' | head -12
}
run "config show" "$SUNO" config show
run "credits" "$SUNO" credits
run "generate --custom --wait" "$SUNO" generate --custom --style synthwave --title "Neon Rain" \
    --prompt "[Verse] neon rain" --model V4_5 --wait --interval 1
TASK=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[-1]['task_id'])" "$HOME/.suno/jobs.json")
run "generate (description mode) --json" "$SUNO" generate --prompt "a calm piano piece" --json
run "status --last --watch" "$SUNO" status --last --watch --interval 1
run "status TASK --json" "$SUNO" status "$TASK" --json
run "download --url-only" "$SUNO" download "$TASK" --url-only
run "download -o DIR" "$SUNO" download "$TASK" -o "$out"
ls -l "$out" | sed 's/^/     /'
run "extend --continue-at" "$SUNO" extend "$TASK" --continue-at 30 --prompt "[Bridge] la" --style synthwave \
    --title "Neon Rain II"
run "extend --use-defaults" "$SUNO" extend "$TASK" --use-defaults
# The two above fail inside the CLI (pydantic): without --model it sends the source track's
# modelName ("chirp-…", as every provider document shows it) where its own schema allows only V4…V5_5.
# The workaround a user finds: name the model.
run "extend --continue-at --model V4_5" "$SUNO" extend "$TASK" --continue-at 30 --prompt "[Bridge] la" \
    --style synthwave --title "Neon Rain II" --model V4_5
run "extend --use-defaults --model V4_5" "$SUNO" extend "$TASK" --use-defaults --model V4_5
run "lyrics" "$SUNO" lyrics --prompt "a song about the sea"
run "list" "$SUNO" list
# A failing task: the CLI knows the documented failure statuses, exits 1 and says which.
res=$("$SUNO" generate --custom --style pop --title No --prompt "forbidden words" --model V4_5 --wait --interval 1 2>&1)
rc=$?
if [ $rc -eq 1 ] && [[ $res == *SENSITIVE_WORD_ERROR* ]]; then pass=$((pass + 1)); echo "OK   generate --wait of a failing task"
else fail=$((fail + 1)); echo "FAIL generate --wait of a failing task (exit $rc; start the mock with --sensitive-word forbidden)"; fi
echo "$res" | sed 's/^/     /' | head -3
echo
echo "$pass passed, $((fail + known)) failed ($known known)"
exit "$fail"
