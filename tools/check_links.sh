#!/usr/bin/env bash
# Keeps the repository self-contained: everything a reader is pointed at must be in it.
#   (a) no file of the repository names the private specification or style guide, or a path
#       into the folder beside the checkout where they once lived;
#   (b) every relative link in README.md and docs/*.md leads to a file that exists, and an
#       #anchor on a link to a markdown file matches one of its headings;
#   (c) every docs/*.md file named in configs/, host/, cl/, include/, tests/ and tools/ exists, and
#       "docs/METHOD.md section N" names a section that docs/METHOD.md has.
# Files: those git tracks plus new ones it does not ignore (every file outside build*/ when git
# is not available). Prints each problem as path:line: message; exit status 1 if there is any.
set -euo pipefail
cd "$(dirname "$0")/.."

report=$(mktemp)
trap 'rm -f "$report"' EXIT
problem() { echo "check_links: $*" >>"$report"; }

list_files() {
    if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        git ls-files --cached --others --exclude-standard | while IFS= read -r f; do
            if [ -f "$f" ]; then printf '%s\n' "$f"; fi
        done
    else
        find . -type f -not -path './.git/*' -not -path './build*' | sed 's|^\./||'
    fi
}
files=$(list_files)

# GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens.
slug() {
    printf '%s' "$1" | tr '[:upper:]' '[:lower:]' | sed -e 's/[^a-z0-9 _-]//g' -e 's/ /-/g'
}

# The anchors of a markdown file, one a line (outside fenced code blocks).
anchors_of() {
    awk '/^```/ { code = !code; next } !code && /^#+ / { sub(/^#+ +/, ""); print }' "$1" |
        while IFS= read -r h; do slug "$h"; echo; done
}

# ---- (a) names of files outside the repository (spelled in pieces so this file passes itself)
spec="ALGO""RITHM"
style="STY""LE"
outside="\\.\\./share""d"
pattern="${spec}\\.md|${style}\\.md|${outside}"
while IFS= read -r f; do
    { grep -InE "$pattern" -- "$f" 2>/dev/null || true; } | while IFS=: read -r line _; do
        problem "$f:$line: names a file outside the repository"
    done
done <<<"$files"

# ---- (b) relative links of README.md and docs/*.md
for md in README.md docs/*.md; do
    [ -f "$md" ] || continue
    dir=$(dirname "$md")
    # [text](target) and [label]: target, outside fenced code blocks; line number first
    awk '/^```/ { code = !code; next }
         !code {
             line = $0
             while (match(line, /\]\([^) ]+\)/)) {
                 print NR " " substr(line, RSTART + 2, RLENGTH - 3)
                 line = substr(line, RSTART + RLENGTH)
             }
             if (match($0, /^ *\[[^]]+\]: *[^ ]+/)) {
                 t = $0; sub(/^ *\[[^]]+\]: */, "", t); sub(/ .*/, "", t); print NR " " t
             }
         }' "$md" |
        while read -r line target; do
            case "$target" in
            http://* | https://* | mailto:*) continue ;;
            esac
            path=${target%%#*}
            anchor=
            [ "$path" != "$target" ] && anchor=${target#*#}
            file=$md
            if [ -n "$path" ]; then
                file=$dir/$path
                if [ ! -e "$file" ]; then
                    problem "$md:$line: link to $target: no file $file"
                    continue
                fi
            fi
            if [ -n "$anchor" ] && [ "${file##*.}" = md ] && [ -f "$file" ]; then
                anchors=$(anchors_of "$file")
                grep -qxF -- "$anchor" <<<"$anchors" ||
                    problem "$md:$line: link to $target: no heading #$anchor in $file"
            fi
        done
done

# ---- (c) docs/ paths and METHOD.md sections named in the sources, configs and tools
method_sections=$(sed -nE 's/^#{2,4} +([0-9]+(\.[0-9]+)*)\.? .*/\1/p' docs/METHOD.md 2>/dev/null)
while IFS= read -r f; do
    case "$f" in
    configs/* | host/* | cl/* | include/* | tests/* | tools/*) ;;
    *) continue ;;
    esac
    { grep -InoE 'docs/[A-Za-z0-9_.-]+\.md' -- "$f" 2>/dev/null || true; } |
        while IFS=: read -r line path; do
            [ -e "$path" ] || problem "$f:$line: names $path, which does not exist"
        done
    { grep -InoE 'docs/METHOD\.md,? sections? [0-9][0-9., and-]*' -- "$f" 2>/dev/null || true; } |
        while IFS=: read -r line ref; do
            for n in $(printf '%s\n' "${ref#* section}" | grep -oE '[0-9]+(\.[0-9]+)*'); do
                grep -qxF -- "$n" <<<"$method_sections" ||
                    problem "$f:$line: docs/METHOD.md has no section $n"
            done
        done
done <<<"$files"

if [ -s "$report" ]; then
    cat "$report" >&2
    exit 1
fi
echo "check_links: every link and pointer leads to a file in the repository"
