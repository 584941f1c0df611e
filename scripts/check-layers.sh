#!/usr/bin/env bash
# scripts/check-layers.sh [MODULE...] — the library's layer order, checked.
#
# The modules under lib/ form a stack: lib/<m>/ may include headers of m itself
# and of the modules before it in the list, never of a later one, and nothing
# under lib/ includes a header of src/ (the CLI sits on top of the library).
# The order is the Makefile's MODULES list (make passes it as the arguments;
# without arguments it is read from the Makefile). Also reports include cycles
# between the files of one module (a.h includes b.h includes a.h).
# Prints one line per problem; exit 1 if there is any.
set -u
cd "$(dirname "$0")/.."
if [ $# -eq 0 ]; then
	# shellcheck disable=SC2046 # the list is words
	set -- $(sed -n 's/^MODULES[[:space:]]*:\?=[[:space:]]*//p' Makefile)
fi
declare -A rank
i=0
for m in "$@"; do rank[$m]=$i; i=$((i + 1)); done
bad=0
problem() { echo "check-layers: $*"; bad=1; }

for d in lib/*/; do
	m=$(basename "$d")
	[ -n "${rank[$m]+x}" ] || problem "lib/$m/ is not in MODULES (Makefile): add it in its layer"
done

edges=() # "module file included" within one module, for the cycle check
for m in "$@"; do
	for f in lib/"$m"/*.[ch]; do
		[ -f "$f" ] || continue
		while IFS=: read -r line inc; do
			case $inc in
			*/*)
				im=${inc%%/*}
				if [ -z "${rank[$im]+x}" ]; then
					if [ -e "src/$inc" ]; then
						problem "$f:$line: includes src/ header \"$inc\" (lib/ must not depend on the CLI)"
					else
						problem "$f:$line: includes \"$inc\", not a header of a library module"
					fi
				elif [ "${rank[$im]}" -gt "${rank[$m]}" ]; then
					problem "$f:$line: $m includes \"$inc\" of $im, a later layer (order: $*)"
				elif [ "$im" = "$m" ]; then
					edges+=("$f lib/$inc")
				fi
				;;
			*)
				if [ -e "lib/$m/$inc" ]; then
					edges+=("$f lib/$m/$inc")
				elif [ -e "src/$inc" ]; then
					problem "$f:$line: includes src/ header \"$inc\" (lib/ must not depend on the CLI)"
				else
					problem "$f:$line: includes \"$inc\", which is not in lib/$m/ (use \"module/name.h\")"
				fi
				;;
			esac
		done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" |
			sed -E 's/^([0-9]+):[^"]*"([^"]*)".*/\1:\2/')
	done
done

# include cycles inside a module: depth-first search over the edges
if [ ${#edges[@]} -gt 0 ]; then
	cycles=$(printf '%s\n' "${edges[@]}" | awk '
		{ n[$1]++; e[$1, n[$1]] = $2; nodes[$1] = 1; nodes[$2] = 1 }
		function dfs(v, path,   k, w) {
			state[v] = 1
			for (k = 1; k <= n[v]; k++) {
				w = e[v, k]
				if (state[w] == 1) print "include cycle: " substr(path, index(" -> " path, " -> " w " -> ") ? index(" -> " path, " -> " w " -> ") : 1) " -> " w
				else if (state[w] == 0) dfs(w, path " -> " w)
			}
			state[v] = 2
		}
		END { for (v in nodes) if (state[v] == 0) dfs(v, v) }')
	if [ -n "$cycles" ]; then
		while IFS= read -r c; do problem "$c"; done <<<"$cycles"
	fi
fi
exit $bad
