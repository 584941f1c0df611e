#!/usr/bin/env bash
# 44-verifier.sh — scan --follow, the trusted verifier, against a real server
# on loopback with real TLS. A client that does not judge its own backups
# (--no-detect: what a compromised client would do, or one that lies) backs
# up a corpus and then the corpus encrypted in place. The verifier, on
# another "host" with the full key and its own admin token, judges each
# snapshot as it arrives: the first, on its own content, is clean, the
# second is an attack, the last clean snapshot gets pinned, the --on-alert command
# gets the JSON, and restore --last-clean gives back the corpus bit for bit.
# A second round finds nothing new; a running verifier picks up the next
# backup within its interval and stops cleanly on SIGTERM.
. "$(dirname "$0")/lib.sh"
. "$CLI_DIR/../detect/common.sh"

D=$T/srv
if ! server_setup "$D" || ! server_start "$D"; then
	fail "the server did not start"
	finish
fi
PORT=$SERVER_PORT
export HOLDFAST_CACERT=$D/cert.pem
for who in fs1 verifier; do
	hf serve-client add "$who" --role admin --repos fs1 --root "$D/root"
	sed -n 's/^token: //p' "$T/out" >"$T/$who.token"
done
R=https://localhost:$PORT/fs1
S=$T/src
cp -a "$CORPUS" "$S"

hf init --repo "$R" --token-file "$T/fs1.token"
check_rc "init" 0
hf backup --repo "$R" --token-file "$T/fs1.token" --no-detect "$S"
check_rc "the client's first backup, not judged by the client" 0
verify() { # extra scan options
	hf scan --repo "$R" --token-file "$T/verifier.token" --follow --once "$@"
}
verify
check_rc "the verifier on the first snapshot: exit 0" 0
check_eq "one line: the first snapshot judged on its own, clean" "clean" "$(json 'j["verdict"]')"
first=$(json 'j["snapshot"]')
check_eq "it names the sender the server recorded" "fs1" "$(json 'j["sender"]')"

"$DETECT_DIR/attack.sh" full "$S" >"$T/actions" 2>"$T/attack.err" || fail "attack.sh failed"
hf backup --repo "$R" --token-file "$T/fs1.token" --no-detect "$S"
check_rc "the client backs up the encrypted files and says nothing" 0
verify --on-alert "cat >$T/alert.json"
check_rc "the verifier: exit 4" 4
check_eq "verdict attack" "attack" "$(json 'j["verdict"]')"
check_eq "the last clean snapshot pinned" "$first" "$(json 'j["pinned"]')"
check_true "the alert command got the scan's JSON" grep -q '"verdict": "attack"' "$T/alert.json"
hf snapshots --repo "$R" --token-file "$T/verifier.token" --json
check_eq "snapshots shows the verdict and the pin" "attack True" \
	"$(json 'j[1]["verdict"] + " " + str(j[0]["pinned"])')"
verify
check_rc "a second round: nothing new, exit 0" 0
check_eq "and prints nothing" 0 "$(wc -c <"$T/out")"

hf restore --repo "$R" --token-file "$T/verifier.token" --last-clean --target "$T/restored"
check_rc "restore --last-clean" 0
# (atimes aside: cp -a keeps the corpus's atimes in the copy, and its own reads may
# then move the corpus's, under relatime, when they are a day old)
check_tree "the corpus comes back bit for bit" "$CORPUS" "$T/restored$S" --no-atime

# a running verifier sees the next backup, and SIGTERM stops it
"$HF_BIN" scan --repo "$R" --token-file "$T/verifier.token" --follow --interval 1 \
	>"$T/follow.out" 2>"$T/follow.err" &
FOLLOW=$!
echo "a new file after the attack" >"$S/new-file.txt"
hf backup --repo "$R" --token-file "$T/fs1.token" --no-detect "$S"
for _ in $(seq 1 100); do
	[ -s "$T/follow.out" ] && break
	sleep 0.2
done
check_eq "the running verifier judged the new backup" 1 "$(wc -l <"$T/follow.out")"
kill -TERM "$FOLLOW"
wait "$FOLLOW"
check_eq "SIGTERM stops it: exit 0" 0 "$?"

server_stop
finish
