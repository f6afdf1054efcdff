#!/usr/bin/env bash
# The same help everywhere: man pages, Markdown pages and completion are
# generated from the command tables, the copies in docs/ are current, and
# each shows exactly the options and examples that --help shows.
. "$(dirname "$0")/../lib/test-lib.sh"

test_expect_success 'docs/ holds exactly what the program generates' '
	cjobs help --write-docs gen &&
	diff -r gen/man "$TEST_ROOT/docs/man" &&
	diff -r gen/commands "$TEST_ROOT/docs/commands" &&
	diff -r gen/completion "$TEST_ROOT/docs/completion" &&
	diff gen/troubleshooting.md "$TEST_ROOT/docs/troubleshooting.md" &&
	diff -r gen/api "$TEST_ROOT/docs/api"
'

# Options named in a --help text, one per line, sorted.
help_options() { grep -E "^  (-[a-zA-Z], )?--[a-z]" | sed -E "s/^  (-[a-zA-Z], )?--([a-z0-9-]+).*/\2/" | sort; }
man_options() { grep -A1 "^\.TP" | grep "^\.B .*\\\\-\\\\-" | sed -E "s/.*\\\\-\\\\-([a-z0-9\\\\-]+).*/\1/; s/\\\\-/-/g" | sort; }
md_options() { grep -E "^- \`(-[a-zA-Z], )?--" | sed -E "s/^- \`(-[a-zA-Z], )?--([a-z0-9-]+).*/\2/" | sort; }

# resolve_path NAME: prints the help of the command whose page is
# cjobs-NAME.1 (NAME is the command path with its spaces made dashes).
resolve_path() {
	local name=$1 left right i
	cjobs help "$name" 2>/dev/null && return 0
	for ((i = 1; i < ${#name}; i++)); do
		[ "${name:i:1}" = - ] || continue
		left=${name:0:i} right=${name:i+1}
		cjobs help "$left" "$right" 2>/dev/null && return 0
	done
	return 1
}

test_expect_success 'every page shows the options and examples of its command' '
	for page in gen/man/cjobs-*.1; do
		name=$(basename "$page" .1); name=${name#cjobs-}
		resolve_path "$name" >help.txt || { echo "no command for $page"; exit 1; }
		help_options <help.txt >a
		man_options <"$page" >b
		md_options <"gen/commands/$name.md" >c
		diff a b >/dev/null || { echo "man $name differs:"; diff a b; exit 1; }
		diff a c >/dev/null || { echo "markdown $name differs:"; diff a c; exit 1; }
		grep "^    cjobs " help.txt | sed "s/^    //" >ex1
		grep -A4 "^\.RS" "$page" | grep "^cjobs " | sed "s/\\\\-/-/g; s/\\\\e/\\\\/g" >ex2
		diff ex1 ex2 || { echo "examples of $name differ"; exit 1; }
	done
'

test_expect_success 'man -l renders the process-jobs page with its examples' '
	MANWIDTH=80 man -l gen/man/cjobs-process-jobs.1 >m 2>/dev/null &&
	grep -q "cjobs process-jobs --max-jobs 5" m && grep -q "SIGNAL HANDLING" m
'

test_expect_success 'bash completion offers commands, subcommands, options and values' '
	. gen/completion/cjobs.bash &&
	complete_words() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _cjobs; echo "${COMPREPLY[*]}"; } &&
	complete_words cjobs pro | grep -qw process-jobs &&
	complete_words cjobs host "" | grep -qw add &&
	complete_words cjobs process-jobs --max | grep -qw -- --max-jobs &&
	complete_words cjobs job submit --image x --pri | grep -qw -- --priority &&
	complete_words cjobs job list --format "" | grep -qw json
'

test_done
