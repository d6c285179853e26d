/*
 * db_option.c — checking a --db FILE option before anything runs.
 *
 * A results database is a regular file, new or existing. coinfer creates
 * no directory for it but results/ (the default databases' home, created by
 * db_open): a --db whose parent directory is missing is a usage error, and
 * so are an empty name and a path that exists but is not a regular file
 * (--db /dev/null would make SQLite write /dev/null-journal beside it).
 */
#include "cli/cli_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char *kind_of(mode_t m)
{
    if (S_ISDIR(m))
        return "a directory";
    if (S_ISFIFO(m))
        return "a FIFO";
    if (S_ISCHR(m))
        return "a character device";
    if (S_ISBLK(m))
        return "a block device";
    if (S_ISSOCK(m))
        return "a socket";
    return "not a regular file";
}

bool cli_db_option(const char *command, const char *path)
{
    char shown[160], dir[4096];
    const char *slash;
    struct stat st;

    if (path[0] == '\0') {
        fprintf(stderr, "coinfer %s: --db needs a file name, not an empty one (see --help)\n",
                command);
        return false;
    }
    core_elide(shown, sizeof(shown), path);
    if (stat(path, &st) == 0) {
        if (S_ISREG(st.st_mode))
            return true;
        fprintf(stderr,
                "coinfer %s: --db %s: %s, not a results database (name a regular file)\n",
                command, shown, kind_of(st.st_mode));
        return false;
    }
    if (errno != ENOENT) {
        fprintf(stderr, "coinfer %s: --db %s: %s\n", command, shown, strerror(errno));
        return false;
    }
    slash = strrchr(path, '/');
    if (!slash)
        return true; /* a new file in the current directory */
    if ((size_t)(slash - path) >= sizeof(dir)) {
        fprintf(stderr, "coinfer %s: --db %s: the path is too long\n", command, shown);
        return false;
    }
    memcpy(dir, path, (size_t)(slash - path));
    dir[slash - path] = '\0';
    if (dir[0] == '\0' || strcmp(dir, "results") == 0)
        return true; /* "/name", or results/ which db_open creates */
    if (stat(dir, &st) != 0) {
        core_elide(shown, sizeof(shown), dir);
        fprintf(stderr,
                "coinfer %s: --db: directory %s does not exist (coinfer creates no directory "
                "but results/; create it first)\n",
                command, shown);
        return false;
    }
    if (!S_ISDIR(st.st_mode)) {
        core_elide(shown, sizeof(shown), dir);
        fprintf(stderr, "coinfer %s: --db: %s is not a directory\n", command, shown);
        return false;
    }
    return true;
}
