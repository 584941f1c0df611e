#!/usr/bin/env bash
# 42-server-crash.sh — the repository server killed with SIGKILL at random
# moments while four clients back up at once (issue 9's crash test): two
# repositories, two clients each (own token, own tree of 2000 files and ~12 MB,
# 1 MB and 50 files more every round), several rounds of "start the four
# backups, kill -9 the server after a random delay, restart it on the same
# root and port". Afterwards:
#   - every snapshot whose backup reported success is still listed, one of
#     each round restores bit for bit (with only the rounds' additions it
#     had), and no object file that existed after a round is gone after a
#     later one; a backup that failed exited 1 (no crash, no hang);
#   - check --read-data passes on both repositories;
#   - no object is torn: every file under an object directory of the server's
#     root hashes to its name (config aside), and no listing names a file of
#     tmp/ (the server's objects being written);
#   - the clients' next backups, without kills, all complete, and the
#     restarted server has removed the temporary files the kills left.
# The clients have the backup role and write-only keys, as file servers do.
# HF_CRASH_ROUNDS (default 4) sets the number of rounds; HF_CRASH_SEED the
# random delays (default: random, printed).
. "$(dirname "$0")/lib.sh"

ROUNDS=${HF_CRASH_ROUNDS:-4}
SEED=${HF_CRASH_SEED:-$((RANDOM * 32768 + RANDOM))}
RANDOM=$SEED
echo "note: $ROUNDS rounds, seed $SEED (HF_CRASH_SEED=$SEED repeats the delays)"

D=$T/srv
if ! server_setup "$D" || ! server_start "$D"; then
	fail "the server did not start"
	cat "$D"/*.out "$D/serve.log" 2>/dev/null | head -n 20
	finish
fi
PORT=$SERVER_PORT
ok "the server listens on port $PORT"
export HOLDFAST_CACERT=$D/cert.pem
ADMIN=$D/admin.token
REPOS="alpha beta"
CLIENTS="c1 c2 c3 c4"
repo_of() { case $1 in c1 | c2) echo alpha ;; *) echo beta ;; esac; }
url_of() { echo "https://localhost:$PORT/$(repo_of "$1")"; }

# The file servers' clients have the backup role and write-only keys (the
# admin makes one per repository), each its own local cache
for c in $CLIENTS; do
	hf serve-client add "$c" --role backup --repos "$(repo_of "$c")" --root "$D/root"
	check_rc "serve-client add $c (backup role, repository $(repo_of "$c"))" 0
	sed -n 's/^token: //p' "$T/out" >"$T/$c.token"
done
export HOLDFAST_NEW_PASSWORD='write-only key passphrase'
for r in $REPOS; do
	hf init --repo "https://localhost:$PORT/$r" --token-file "$ADMIN"
	check_rc "init $r through the server" 0
	hf key add --write-only --out "$T/$r.key" --repo "https://localhost:$PORT/$r" --token-file "$ADMIN"
	check_rc "a write-only key for $r" 0
done

# gen DIR SEED FILES BIGMB — FILES small files (0-4 KiB, a few directories
# deep) and two incompressible files of BIGMB MiB each, all from SEED
gen() {
	$PY - "$@" <<'PYEOF'
import os, random, sys
d, seed, n, big = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rnd = random.Random(seed)
for i in range(n):
    sub = os.path.join(d, "d%02d" % (i % 40), "e%d" % (i % 7))
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, "f%05d" % i), "wb") as f:
        f.write(rnd.randbytes(rnd.randrange(0, 4096)))
for k in range(2):
    with open(os.path.join(d, "big%d.bin" % k), "wb") as f:
        for _ in range(big):
            f.write(rnd.randbytes(1 << 20))
PYEOF
}
for c in $CLIENTS; do
	mkdir -p "$T/src/$c/base"
	gen "$T/src/$c/base" "${c#c}" 2000 4
done
ok "four trees of 2000 files and 12 MiB each"
echo "note: $SECONDS s: trees made"

# objects — every object file under the root's repositories (tmp/ aside)
objects() { (cd "$D/root/repos" && find . -path '*/tmp' -prune -o -type f -print | sort); }

# start_backups ROUND — the four backups in the background, into $T/b.ROUND.CLIENT.*
start_backups() {
	local c
	BPIDS=()
	for c in $CLIENTS; do
		(
			HOLDFAST_PASSWORD=$HOLDFAST_NEW_PASSWORD HOLDFAST_CACHE_DIR=$T/cache/$c \
				timeout -k 5 120 "$HF_BIN" backup --repo "$(url_of "$c")" --token-file "$T/$c.token" \
				--key-file "$T/$(repo_of "$c").key" --no-detect --json "$T/src/$c" \
				>"$T/b.$1.$c.out" 2>"$T/b.$1.$c.err"
			echo $? >"$T/b.$1.$c.rc"
		) &
		BPIDS+=($!)
	done
}

restart_server() {
	local i
	for i in 1 2 3 4 5; do
		server_start "$D" "$PORT" && return 0
		sleep 0.5
	done
	return 1
}

: >"$T/completed" # ROUND CLIENT SNAPSHOT, one line per backup that reported success
objects >"$T/objects.before"
lost=0 crashed=0 n_ok=0 n_failed=0
for round in $(seq 1 "$ROUNDS"); do
	# new data every round, so that every round uploads
	for c in $CLIENTS; do
		mkdir -p "$T/src/$c/r$round"
		gen "$T/src/$c/r$round" "$((round * 100 + ${c#c}))" 50 1
	done
	start_backups "$round"
	delay=$((2 + RANDOM % 24)) # tenths of a second
	sleep "$((delay / 10)).$((delay % 10))"
	kill -9 "$SERVER_HF_PID" 2>/dev/null
	server_gone
	sleep 0.$((RANDOM % 10))
	if ! restart_server; then
		fail "round $round: the server does not start again after kill -9"
		tail -n 5 "$D/serve.log"
		finish
	fi
	wait "${BPIDS[@]}"
	for c in $CLIENTS; do
		rc=$(cat "$T/b.$round.$c.rc")
		if [ "$rc" -eq 0 ]; then
			n_ok=$((n_ok + 1))
			echo "$round $c $($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["snapshot"])' "$T/b.$round.$c.out")" >>"$T/completed"
		elif [ "$rc" -eq 1 ]; then
			n_failed=$((n_failed + 1))
			echo "note: round $round, $c: backup failed: $(head -n 3 "$T/b.$round.$c.err" | tr '\n' ' ')"
		else
			crashed=$((crashed + 1))
			echo "  round $round, $c: backup exit $rc"
			head -n 5 "$T/b.$round.$c.err" | sed 's/^/  | /'
		fi
	done
	echo "note: round $round: server killed after $((delay / 10)).$((delay % 10)) s; backups exit $(cat "$T"/b."$round".c?.rc | tr '\n' ' ')"
	objects >"$T/objects.after"
	gone=$(comm -23 "$T/objects.before" "$T/objects.after" | wc -l)
	if [ "$gone" -ne 0 ]; then
		lost=$((lost + gone))
		comm -23 "$T/objects.before" "$T/objects.after" | head -n 5 | sed "s/^/  round $round lost: /"
	fi
	mv "$T/objects.after" "$T/objects.before"
done
echo "note: $SECONDS s: rounds done"
echo "note: $n_ok backups completed, $n_failed failed (exit 1) over $ROUNDS rounds"
check_eq "no backup crashed or hung (every exit 0 or 1)" 0 "$crashed"
check_eq "no object file that existed after a round was gone after a later one" 0 "$lost"

# no torn object: every object file is named by the SHA-256 of its bytes
bad=$(
	cd "$D/root/repos" &&
		find . -path '*/tmp' -prune -o -type f ! -name config -print0 | xargs -0 -r sha256sum |
		awk '{ n = $2; sub(/.*\//, "", n); if (n != $1) print $2 }'
)
check_eq "no torn object: every object file hashes to its name" "" "$bad"

# no listing names a file of tmp/ (or anything not a whole object)
list_bad=0
for r in $REPOS; do
	for k in keys snapshots index data marks pending; do
		curl -sS --fail --cacert "$D/cert.pem" -H "Authorization: Bearer $(cat "$ADMIN")" \
			"https://localhost:$PORT/v1/$r/$k/" >"$T/list" 2>"$T/list.err" || {
			list_bad=$((list_bad + 1))
			echo "  listing $r/$k failed: $(cat "$T/list.err")"
			continue
		}
		while read -r name _; do
			if [ "$k" = data ]; then f=$D/root/repos/$r/data/${name:0:2}/$name; else f=$D/root/repos/$r/$k/$name; fi
			if ! [[ $name =~ ^[0-9a-f]{64}$ ]] || [ ! -f "$f" ]; then
				list_bad=$((list_bad + 1))
				echo "  $r/$k lists $name, which is no whole object"
			fi
		done <"$T/list"
	done
done
check_eq "the listings name whole objects only (nothing of tmp/)" 0 "$list_bad"
leftovers() { find "$D/root/repos"/*/tmp -type f | wc -l; }
echo "note: $(leftovers) files the kills left in the repositories' tmp/"

for r in $REPOS; do
	hf check --repo "https://localhost:$PORT/$r" --token-file "$ADMIN" --read-data
	check_rc "after the kills: check --read-data of $r" 0
done

# every completed snapshot is listed; one of each round (a different client's
# each round, where it completed) restores: base and the rounds up to its own
# (check --read-data above read all the others' data)
for r in $REPOS; do
	hf snapshots --repo "https://localhost:$PORT/$r" --token-file "$ADMIN" --json
	json '"\n".join(s["id"] for s in j)' >"$T/listed.$r"
done
awk '{ want = "c" ((($1 - 1) % 4) + 1); if (!($1 in pick) || $2 == want) pick[$1] = $2 }
	END { for (r in pick) print r, pick[r] }' "$T/completed" >"$T/to-restore"
missing=0 restored=0
while read -r round c snap; do
	r=$(repo_of "$c")
	if ! grep -qx "$snap" "$T/listed.$r"; then
		missing=$((missing + 1))
		echo "  round $round, $c: snapshot ${snap:0:8} reported saved but not listed"
		continue
	fi
	grep -qx "$round $c" "$T/to-restore" || continue
	rm -rf "$T/restore"
	hf restore --repo "https://localhost:$PORT/$r" --token-file "$ADMIN" --target "$T/restore" "$snap"
	check_rc "round $round, $c: snapshot ${snap:0:8} restores" 0
	src=$T/src/$c
	check_tree "round $round, $c: base restores bit for bit" "$src/base" "$T/restore$src/base"
	for k in $(seq 1 "$round"); do
		check_tree "round $round, $c: r$k restores bit for bit" "$src/r$k" "$T/restore$src/r$k"
	done
	check_true "round $round, $c: nothing of later rounds" test ! -e "$T/restore$src/r$((round + 1))"
	restored=$((restored + 1))
done <"$T/completed"
check_eq "every snapshot reported saved is listed" 0 "$missing"
rm -rf "$T/restore"
echo "note: $SECONDS s: $restored completed snapshots restored"

# the next backups, without kills, all complete
start_backups final
wait "${BPIDS[@]}"
echo "note: $SECONDS s: the next backups done"
for c in $CLIENTS; do
	RC=$(cat "$T/b.final.$c.rc")
	cp "$T/b.final.$c.err" "$T/err"
	cp "$T/b.final.$c.out" "$T/out"
	check_rc "$c: the next backup completes" 0
done
check_eq "the restarted server removed what the killed ones left in tmp/" 0 \
	"$(leftovers)"

# the server said nothing of memory errors in any of its lives
# (a sanitizer build reports on its stderr, the log)
server_stop
check_eq "no sanitizer report in the server's log" "" \
	"$(grep -E 'AddressSanitizer|LeakSanitizer|runtime error:' "$D/serve.log" | head -n 5)"
finish
