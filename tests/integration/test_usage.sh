#!/usr/bin/env bash
# README and --help agree: the usage block of README's "The `coinfer` command"
# section and the usage lines of `coinfer --help` and of every subcommand's
# --help name the same forms, option for option. Each form is one line with
# its continuation lines joined and its spaces collapsed.
set -u
. "$(dirname "$0")/lib.sh"

# forms: stdin's usage lines, one form per line. A form starts at a line
# whose first word (after "usage:" or spaces) is "coinfer"; a more indented
# line continues it.
forms() {
    sed -E 's/^usage: //' | awk '
        /^ *coinfer / { if (f != "") print f; f = $0; next }
        /^ +[^ ]/     { if (f != "") f = f " " $0; next }
                      { if (f != "") print f; f = "" }
        END           { if (f != "") print f }' |
        sed -E 's/^ +//; s/ +/ /g; s/ $//'
}

readme=$(sed -n '/^## The `coinfer` command/,/^## /p' README.md |
    sed -n '/^```$/,/^```$/p' | grep -v '^```$' | forms)
expect_match "README's usage block has forms" "$readme" "^coinfer run "

expect_exit 0 "coinfer --help" "$COINFER" --help
commands=$(sed -nE 's/^  ([a-z][a-z-]*)  +[a-z].*/\1/p' <<<"$OUT")
expect_match "coinfer --help lists its commands" "$(tr '\n' ' ' <<<"$commands")" "^run validate "
expect_match "README names the top-level form" "$readme" "^coinfer --version \| --help$"

help_forms=""
for c in $commands; do
    expect_exit 0 "coinfer $c --help" "$COINFER" "$c" --help
    f=$(sed -n '1,/^$/p' <<<"$OUT" | forms)
    expect_match "coinfer $c --help starts with its usage" "$f" "^coinfer $c"
    expect_eq "README's usage of $c is its --help's" \
        "$(grep -E "^coinfer $c( |$)" <<<"$readme")" "$f"
    help_forms+="$f"$'\n'
done
expect_eq "README lists no command --help does not" \
    "$(grep -vE '^coinfer --version' <<<"$readme" | sort)" "$(sed '/^$/d' <<<"$help_forms" | sort)"
