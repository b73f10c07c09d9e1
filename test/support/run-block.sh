# Runs one shell block of the docs (test/support/doc-shell.ts): run-block.sh STATE BLOCK.
# STATE holds the variables set by the blocks before it (declare -p lines); on exit, every
# variable this block set or changed (not bash's own, not read-only ones) is written to
# STATE.next for the next block, and the block's status is kept.
__state=$1
__block=$2
__start=$(declare -p)
. "$__state"
__save() {
  local __status=$? __name __line __flags
  set +e
  for __name in $(compgen -v); do
    case $__name in
      __* | BASH* | FUNCNAME | GROUPS | LINENO | PIPESTATUS | RANDOM | SRANDOM | SECONDS | EPOCH* | _ | \
        OPTIND | OPTARG | OPTERR | COLUMNS | LINES | HISTCMD | PPID | UID | EUID | SHLVL | SHELLOPTS | \
        DIRSTACK | PWD | OLDPWD) continue ;;
    esac
    __line=$(declare -p "$__name" 2>/dev/null) || continue
    __flags=${__line#declare -}
    __flags=${__flags%% *}
    [[ $__flags == *r* ]] && continue
    [[ $'\n'"$__start"$'\n' == *$'\n'"$__line"$'\n'* ]] && continue
    printf '%s\n' "$__line"
  done >"$__state.next"
  exit "$__status"
}
trap __save EXIT
set -e -o pipefail
. "$__block"
