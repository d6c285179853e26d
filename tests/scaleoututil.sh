# Helpers shared by the scale-out tests (tests/integration/test_slurm.sh, ...).
# Source after tests/integration/lib.sh (or with BUILD set), from the
# repository root.

# scaleout_deps_or_skip WHAT: install the scale-out packages when they are
# missing (scripts/install-deps.sh --scaleout); when they cannot be installed,
# print "SKIP: WHAT: why" and exit 0, so that the test counts neither way.
scaleout_deps_or_skip() {
    local why
    if ! why=$(scripts/install-deps.sh --scaleout 2>&1); then
        echo "SKIP: $1: the scale-out packages could not be installed:" \
            "$(tail -n 1 <<<"$why")"
        exit 0
    fi
}
