#!/usr/bin/env bash
# 40-command-table.sh — the command table's order (src/main.c, src/commands.h):
# every command parses its options and arguments, then, if it works on a
# repository, holdfast opens it (and only then asks for the passphrase), then
# the command runs. So, for every command:
#   - --help exits 0 and opens nothing, with no --repo or a --repo that does
#     not exist (init creates nothing);
#   - an unknown option exits 2, before any repository is opened;
#   - a usage error exits 2 before the passphrase is asked for;
#   - a missing --repo, one that does not exist or a directory that is no
#     repository exits 1 with one error line, and no passphrase is asked for;
#   - with a real repository, the passphrase is asked for (the positive
#     control: it shows the checks above would see a passphrase asked for).
# "Asked for a passphrase" is seen through --password-file naming a file that
# does not exist, with HOLDFAST_PASSWORD unset and stdin not a terminal:
# reading it prints "cannot read password file".
. "$(dirname "$0")/lib.sh"

R=$T/repo
S=$T/src
NOPASS=$T/no-such-password-file
mkdir -p "$S" "$T/notrepo"
echo hello >"$S/a"

# hfq ARGS... — holdfast with no passphrase in the environment and stdin not a
# terminal, so that reading a passphrase can only go through --password-file
hfq() {
	env -u HOLDFAST_PASSWORD timeout -k 10 "$HF_TIMEOUT" "$HF_BIN" "$@" </dev/null >"$T/out" 2>"$T/err"
	RC=$?
	return $RC
}

# lines FILE — number of lines in FILE
lines() { wc -l <"$1" | tr -d ' '; }

# check_one_line NAME REGEXP — stderr is exactly one line, matching REGEXP, and
# stdout is empty
check_one_line() {
	if [ "$(lines "$T/err")" = 1 ] && grep -Eq -- "$2" "$T/err" && [ ! -s "$T/out" ]; then
		ok "$1"
	else
		fail "$1: wanted one line /$2/ on stderr and nothing on stdout"
		show_output
	fi
}

# check_no_passphrase NAME — nothing says the passphrase was read
check_no_passphrase() {
	if grep -Eq "password file|passphrase" "$T/err"; then
		fail "$1: a passphrase was asked for"
		show_output
	else
		ok "$1"
	fi
}

# the commands that work on a repository, each with arguments that parse
declare -A ARGS=(
	[backup]="$S"
	[snapshots]=""
	[ls]="latest"
	[diff]="latest latest"
	[restore]="latest --target $T/target"
	[check]=""
	[forget]="--keep-last 1"
	[prune]=""
	[scan]=""
	[history]="$S/a"
	[pin]="latest"
	[unpin]="latest"
	[key]="add --write-only --out $T/wo.key"
	[lock]="status"
	[watch]="$S"
	[report]="--html $T/report.html"
)
# ... and with arguments that do not (exit 2)
declare -A BAD=(
	[backup]=""
	[snapshots]="extra"
	[ls]=""
	[diff]="latest"
	[restore]="latest"
	[check]="extra"
	[forget]=""
	[prune]="extra"
	[scan]="latest latest"
	[history]=""
	[pin]=""
	[unpin]=""
	[key]="add --out $T/wo.key"
	[lock]=""
	[report]=""
	[init]="extra"
	[serve]=""
	[serve-client]="add x"
	[watch]=""
)
REPO_CMDS="backup snapshots ls diff restore check forget prune scan history pin unpin key lock"
ALL_CMDS="init $REPO_CMDS serve serve-client watch report"
REPO_CMDS="$REPO_CMDS watch report"

# --- holdfast --help lists every command of the table, in its order
hf --help
check_rc "holdfast --help" 0
check_eq "holdfast --help lists the table's commands" "$ALL_CMDS" \
	"$(sed -n 's/^  \([a-z-]*\) .*/\1/p' "$T/out" | tr '\n' ' ' | sed 's/ $//')"

# --- --help: exit 0, the command's usage, nothing opened or created
for cmd in $ALL_CMDS; do
	hfq "$cmd" --help
	if [ "$RC" -eq 0 ] && grep -q "^usage: holdfast $cmd " "$T/out" && [ ! -s "$T/err" ]; then
		ok "$cmd --help without --repo: exit 0, usage on stdout"
	else
		fail "$cmd --help without --repo"
		show_output
	fi
	hfq "$cmd" --repo "$T/nowhere" --password-file "$NOPASS" --help
	check_rc "$cmd --help with a --repo that does not exist" 0
	check_eq "$cmd --help: nothing on stderr" "" "$(cat "$T/err")"
	check_true "$cmd --help: nothing created at --repo" test ! -e "$T/nowhere"
done

# --- an unknown option: exit 2, and the repository is not opened
for cmd in $ALL_CMDS; do
	hfq "$cmd" --no-such-option
	check_rc "$cmd --no-such-option" 2
	check_grep "$cmd --no-such-option: says so" "^holdfast: unknown option$" "$T/err"
	hfq "$cmd" --repo "$T/nowhere" --password-file "$NOPASS" --no-such-option
	check_rc "$cmd --no-such-option with a --repo that does not exist" 2
	if grep -q "cannot open repository" "$T/err"; then
		fail "$cmd --no-such-option: the repository was opened"
		show_output
	else
		ok "$cmd --no-such-option: the repository was not opened"
	fi
	check_no_passphrase "$cmd --no-such-option: no passphrase"
	check_true "$cmd --no-such-option: nothing created at --repo" test ! -e "$T/nowhere"
done

# --- no repository, or one that is not there: exit 1, one line, no passphrase
for cmd in $REPO_CMDS; do
	# shellcheck disable=SC2086 # the arguments are words
	hfq "$cmd" --password-file "$NOPASS" ${ARGS[$cmd]}
	check_rc "$cmd without --repo" 1
	check_one_line "$cmd without --repo: one error line" \
		"^holdfast: no repository: use --repo DIR or set HOLDFAST_REPO$"
	check_no_passphrase "$cmd without --repo: no passphrase"

	# shellcheck disable=SC2086
	hfq "$cmd" --repo "$T/nowhere" --password-file "$NOPASS" ${ARGS[$cmd]}
	check_rc "$cmd --repo (does not exist)" 1
	check_one_line "$cmd --repo (does not exist): one error line" \
		"^holdfast: cannot open repository .*nowhere.*: not a holdfast repository$"
	check_no_passphrase "$cmd --repo (does not exist): no passphrase"
	check_true "$cmd --repo (does not exist): nothing created" test ! -e "$T/nowhere"

	# shellcheck disable=SC2086
	hfq "$cmd" --repo "$T/notrepo" --password-file "$NOPASS" ${ARGS[$cmd]}
	check_rc "$cmd --repo (a directory, not a repository)" 1
	check_one_line "$cmd --repo (not a repository): one error line" \
		"^holdfast: cannot open repository .*notrepo.*: not a holdfast repository$"
	check_no_passphrase "$cmd --repo (not a repository): no passphrase"
done
check_eq "the directory that is no repository is left empty" "" "$(ls -A "$T/notrepo")"

# --- with a real repository
hf init --repo "$R"
check_rc "init" 0
hf backup --repo "$R" "$S"
check_rc "backup" 0

# a usage error comes before the passphrase
for cmd in $ALL_CMDS; do
	# shellcheck disable=SC2086
	hfq "$cmd" --repo "$R" --password-file "$NOPASS" ${BAD[$cmd]}
	check_rc "$cmd, usage error (${BAD[$cmd]:-no arguments})" 2
	check_grep "$cmd, usage error: the usage is shown" "^usage: holdfast $cmd " "$T/err"
	check_no_passphrase "$cmd, usage error: no passphrase"
done

# the positive control: with good arguments, the passphrase is asked for once
# the repository is open (and --password-file is what is read)
for cmd in $REPO_CMDS; do
	# shellcheck disable=SC2086
	hfq "$cmd" --repo "$R" --password-file "$NOPASS" ${ARGS[$cmd]}
	check_rc "$cmd, password file missing" 1
	check_one_line "$cmd, password file missing: one error line" \
		"^holdfast: cannot read password file .*no-such-password-file.*: No such file or directory$"
done
# init asks for the passphrase itself, after its own checks (it opens nothing)
hfq init --repo "$T/newrepo" --password-file "$NOPASS"
check_rc "init, password file missing" 1
check_one_line "init, password file missing: one error line" "^holdfast: cannot read password file "
check_true "init, password file missing: nothing created" test ! -e "$T/newrepo"

# and the repository still works with the passphrase (nothing above changed it)
hf snapshots --repo "$R"
check_rc "snapshots after all that" 0
check_grep "snapshots after all that: the one snapshot" "^1 snapshot$" "$T/out"

finish
