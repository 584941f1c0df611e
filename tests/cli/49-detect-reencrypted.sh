#!/usr/bin/env bash
# 49-detect-reencrypted.sh — files that were encrypted already, attacked again
# (docs/DETECTION.md, "Containers encrypted again"). The user keeps some files
# encrypted (gpg to their own key, gpg --symmetric, age, a 7z with a password) beside
# the benign corpus. For each attack mode that renames (tests/detect/attack.sh: real
# tools), the attack runs over everything, those containers too; then:
#   - the backup exits 4 (attack), and >= 99% of the files the attack wrote are flagged
#     encrypted, the user's containers among them (their bytes were random before and
#     after: only the attack's extension and the deleted original tell);
#   - restore --last-clean gives back the corpus and the user's containers, bit for bit.
# HF_DETECT_MODES="gpg-delete" runs only those modes.
. "$(dirname "$0")/lib.sh"
. "$CLI_DIR/../detect/common.sh"

MODES=${HF_DETECT_MODES:-"full-rename gpg-delete age-rename 7z-delete"}
export GNUPGHOME=$T/gnupg
mkdir -m 700 "$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-gen-key 'owner <owner@example.invalid>' future-default default never \
	2>/dev/null || fail "gpg could not make the owner's key"
age-keygen -o "$T/age.key" 2>/dev/null || fail "age-keygen failed"

# the corpus and the user's own encrypted files, once
E=$T/expected
cp -a "$CORPUS" "$E"
mkdir -p "$E/private"
head -c 200000 /usr/share/common-licenses/GPL-3 >"$T/plain1"
cp /usr/share/common-licenses/Apache-2.0 "$T/plain2"
gpg --batch --quiet --yes --trust-model always -e -r owner@example.invalid -o "$E/private/taxes.txt.gpg" "$T/plain1"
gpg --batch --quiet --yes --pinentry-mode loopback --passphrase owner --symmetric -o "$E/private/notes.txt.gpg" \
	"$T/plain2"
age -r "$(age-keygen -y "$T/age.key")" -o "$E/private/keys.tar.age" "$T/plain1"
(cd "$T" && 7z a -bd -bso0 -bsp0 -pownersecret -mhe=on "$E/private/old-mail.7z" plain2 >/dev/null)
gpgconf --kill all 2>/dev/null
check_eq "the user's four containers are there" 4 "$(find "$E/private" -type f | wc -l)"

for mode in $MODES; do
	m="[$mode]"
	R=$(repo_url "repo-$mode") RD=$(repo_dir "repo-$mode")
	S=$T/src
	rm -rf "$RD" "$S" "$T/restore"
	cp -a "$E" "$S"
	hf init --repo "$R"
	hf backup --repo "$R" "$S"
	check_rc "$m backup of the corpus with the user's containers" 0
	if ! "$DETECT_DIR/attack.sh" "$mode" "$S" >"$T/actions" 2>"$T/attack.err"; then
		fail "$m attack.sh failed"
		sed 's/^/  | /' "$T/attack.err" | head -n 10
		continue
	fi
	hf backup --repo "$R" "$S"
	check_rc "$m backup after the attack: exit 4" 4
	hf scan --repo "$R" --json
	cp "$T/out" "$T/scan-$mode.json"
	check_eq "$m verdict attack" "attack" "$(json 'j["verdict"]')"
	$PY "$DETECT_DIR/evaluate.py" "$T/actions" "$T/scan-$mode.json" >"$T/report-$mode" 2>&1
	check_flagged "$m scan" "$T/report-$mode"
	check_eq "$m each of the user's containers: its successor flagged encrypted" "4" \
		"$(json "len([f for f in j['files'] if '/private/' in f['path'] and f['change'] == 'renamed' and f['verdict'] == 'encrypted'])")"
	hf restore --repo "$R" --last-clean --target "$T/restore"
	check_rc "$m restore --last-clean" 0
	check_restore "$m restore --last-clean gives back the corpus and the user's containers, bit for bit" \
		"$E" "$T/restore$S"
done
finish
