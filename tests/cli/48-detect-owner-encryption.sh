#!/usr/bin/env bash
# 48-detect-owner-encryption.sh — the owner's own encryption is not an attack
# (docs/DETECTION.md, "The owner's own encryption"). On the benign corpus, a user
# encrypts a file or two with a real tool and deletes the original, which, file by
# file, is what ransomware's encrypt-and-delete does. Each variant: one file with gpg
# (to the owner's key), one with gpg --symmetric, one with age, one with 7z -p -mhe=on,
# two files at once with gpg. Then:
#   - the backup exits 0 (no alert); the scan lists the new file as suspicious, with the
#     container reason, and the snapshot clean;
#   - restore --last-clean restores that file, bit for bit, and says so ("kept ...");
#     restore --last-clean --strict leaves it out and says so.
# And the other side: the same done to three files in one backup is an attack (exit 4).
. "$(dirname "$0")/lib.sh"
. "$CLI_DIR/../detect/common.sh"

export GNUPGHOME=$T/gnupg
mkdir -m 700 "$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-gen-key 'owner <owner@example.invalid>' future-default default never \
	2>/dev/null || fail "gpg could not make the owner's key"
age-keygen -o "$T/age.key" 2>/dev/null || fail "age-keygen failed"
AGE_RCPT=$(age-keygen -y "$T/age.key")

# victims: regular files of the corpus over 4 KiB, in a stable order
pick() { (cd "$CORPUS" && find . -type f -size +4k | LC_ALL=C sort | sed -n "${1}p" | cut -c3-); }

# encrypt VARIANT FILE — writes FILE.EXT with the tool and deletes FILE; prints FILE.EXT
encrypt() {
	local f=$1/$2 out
	case $3 in
	gpg) out=$f.gpg && gpg --batch --quiet --yes --trust-model always -e -r owner@example.invalid -o "$out" "$f" ;;
	gpg-symmetric) out=$f.gpg && gpg --batch --quiet --yes --pinentry-mode loopback --passphrase owner \
		--symmetric -o "$out" "$f" ;;
	age) out=$f.age && age -r "$AGE_RCPT" -o "$out" "$f" ;;
	7z) out=$f.7z && (cd "$(dirname "$f")" && 7z a -bd -bso0 -bsp0 -pownersecret -mhe=on "$(basename "$out")" \
		"$(basename "$f")" >/dev/null) ;;
	esac
	rm -f "$f"
	echo "$out"
}

gpgconf --kill all 2>/dev/null
n=0
for variant in gpg gpg-symmetric age 7z gpg-two; do
	m="[$variant]"
	n=$((n + 1))
	R=$(repo_url "repo-$variant") RD=$(repo_dir "repo-$variant")
	S=$T/src
	rm -rf "$RD" "$S" "$T/restore" "$T/strict"
	cp -a "$CORPUS" "$S"
	hf init --repo "$R"
	hf backup --repo "$R" "$S"
	check_rc "$m backup of the corpus" 0
	tool=${variant%-two}
	made=("$(encrypt "$S" "$(pick $n)" "$tool")")
	[ "$variant" = gpg-two ] && made+=("$(encrypt "$S" "$(pick $((n + 7)))" gpg)")
	hf backup --repo "$R" "$S"
	check_rc "$m the backup after the owner encrypted ${#made[@]} file(s): exit 0, no alert" 0
	hf scan --repo "$R" --json
	check_rc "$m scan: exit 0" 0
	check_eq "$m scan: the snapshot is clean" "clean" "$(json 'j["verdict"]')"
	for f in "${made[@]}"; do
		check_eq "$m scan: ${f##*/} is suspicious, as an encryption container" "suspicious True" \
			"$(json "next((x['verdict'] + ' ' + str('container' in x['reasons'])) for x in j['files'] if x['path'] == '$f')")"
	done
	hf restore --repo "$R" --last-clean --target "$T/restore"
	check_rc "$m restore --last-clean" 0
	for f in "${made[@]}"; do
		check_true "$m restore --last-clean restores ${f##*/} bit for bit" cmp -s "$f" "$T/restore$f"
		check_grep "$m and says so" "^kept '?$f'?: flagged suspicious: an encryption container" "$T/out"
	done
	hf restore --repo "$R" --last-clean --strict --target "$T/strict"
	check_rc "$m restore --last-clean --strict" 0
	check_true "$m --strict leaves ${made[0]##*/} out" test ! -e "$T/strict${made[0]}"
	check_grep "$m and says so" "^skipped '?${made[0]}'?: never clean" "$T/out"
done

# three files in one backup: an attack, whoever did it
R=$(repo_url repo-three) S=$T/src
rm -rf "$S" && cp -a "$CORPUS" "$S"
hf init --repo "$R"
hf backup --repo "$R" "$S"
for k in 1 2 3; do encrypt "$S" "$(pick $k)" gpg >/dev/null; done
hf backup --repo "$R" "$S"
check_rc "[three] three files encrypted and deleted in one backup: exit 4" 4
check_grep "[three] an attack" "^scan: attack" "$T/out"
finish
