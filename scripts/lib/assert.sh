# shellcheck shell=bash
# Assertions for end-to-end scripts. Each check prints one "ok" or "FAIL" line
# and counts failures; call check_done at the end of the script: it prints
# "N passed, N failed" and returns non-zero if any check failed.
#
#   . "$E2E_SRC/scripts/lib/assert.sh"
#   check_eq "busybox: wasted_bytes" 3216360 "$wasted"
#   check_done

CHECKS_PASSED=0
CHECKS_FAILED=0

# _check_ok DESC / _check_fail DESC: count and print a result that the
# script decided itself (the other checks are built on these).
_check_ok() {
	CHECKS_PASSED=$((CHECKS_PASSED + 1))
	printf '  ok    %s\n' "$1"
}

_check_fail() {
	CHECKS_FAILED=$((CHECKS_FAILED + 1))
	printf '  FAIL  %s\n' "$1"
}

# _is_int V: whether V is a (possibly negative) decimal integer.
_is_int() { [[ $1 =~ ^-?[0-9]+$ ]]; }

# check_eq DESC WANT GOT: GOT equals WANT (as strings).
check_eq() {
	if [ "$2" = "$3" ]; then
		_check_ok "$1 = $3"
	else
		_check_fail "$1: want $2, got $3"
	fi
}

# check_gt DESC GOT LIMIT: integer GOT > LIMIT.
check_gt() {
	if _is_int "$2" && _is_int "$3" && [ "$2" -gt "$3" ]; then
		_check_ok "$1 = $2 (> $3)"
	else
		_check_fail "$1: want an integer > $3, got '$2'"
	fi
}

# check_cmd DESC CMD...: CMD exits 0 (its output is shown only on failure).
check_cmd() {
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then
		_check_ok "$desc"
	else
		_check_fail "$desc: command failed: $*"
		printf '%s\n' "$out" | tail -n 40 | sed 's/^/        /'
	fi
}

# check_same_file DESC FILE_WANT FILE_GOT: the two files are byte-identical
# (a diff is shown otherwise).
check_same_file() {
	if cmp -s "$2" "$3"; then
		_check_ok "$1"
	else
		_check_fail "$1: $3 differs from $2"
		diff -u "$2" "$3" | head -n 60 | sed 's/^/        /' || true
	fi
}

# check_done: print the tally; non-zero if anything failed or nothing was checked.
check_done() {
	printf '%d passed, %d failed\n' "$CHECKS_PASSED" "$CHECKS_FAILED"
	if [ "$CHECKS_PASSED" -eq 0 ] && [ "$CHECKS_FAILED" -eq 0 ]; then
		echo "no check ran" >&2
		return 1
	fi
	[ "$CHECKS_FAILED" -eq 0 ]
}
