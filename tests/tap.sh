# tap.sh - helpers sourced by the shell tests: TAP-style result lines
# ("ok - NAME" / "not ok - NAME") and a failure count in $fails.
fails=0
ok() { echo "ok - $1"; }
notok() { echo "not ok - $1"; fails=$((fails + 1)); }
# check NAME 'SHELL CONDITION'
check() { if eval "$2"; then ok "$1"; else notok "$1"; fi; }
