# reference.sh - sourced by the tests that compare the educational reader
# (tools/reference/frc_reference.py) with libfrc. Needs FRC and SRC; sets PY and REF
# (empty when Debian's python3 with xxhash is missing).
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
REF=
"$PY" -c 'import xxhash' 2>/dev/null && REF="$PY $SRC/tools/reference/frc_reference.py"

# verdict_of_libfrc FILE: "accept" or the class frc digest refuses it with
verdict_of_libfrc() {
	if "$FRC" digest "$1" > /dev/null 2>&1; then echo accept; else
		"$FRC" digest "$1" 2>/dev/null | awk '{print $1; exit}'; fi
}
# agree FILE: libfrc (frc digest) and the educational reader give the same
# verdict: the same exit status and the same contents, or the same class
agree() {
	a=$("$FRC" digest "$1" 2>/dev/null); ra=$?
	b=$($REF "$1" 2>/dev/null); rb=$?
	[ "$ra" -eq "$rb" ] || return 1
	if [ "$ra" -eq 0 ]; then
		[ "$(echo "$a" | grep -v '^---$')" = "$b" ]
	else
		[ "$(echo "$a" | awk '{print $1; exit}')" = "$(echo "$b" | awk '{print $1; exit}')" ]
	fi
}
