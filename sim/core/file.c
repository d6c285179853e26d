/*
 * file.c — opening a user's input file: a regular file of bounded size, or
 * a clear error.
 *
 * Every file coinfer reads because a user named it (a scenario, a model, a
 * weights file, a dataset, a table of timings) is opened here. The path is
 * opened with O_NONBLOCK, so that a FIFO with no writer does not block the
 * open, then fstat()ed: anything but a regular file (a directory, FIFO,
 * character device such as /dev/zero, block device, socket) is refused, and
 * so is a file larger than its kind's maximum (CORE_FILE_MAX_*), before a
 * byte is read. Blocking mode is restored for the reader. The error names the
 * path (elided when long) and what was expected: "PATH:0: not a regular
 * file (a character device): a model file must be a regular file".
 */
#include "core/core.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *file_type(mode_t m)
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
    return "not a plain file";
}

enum core_rc core_file_open(const char *path, const char *what, uint64_t max_bytes, FILE **f_out,
                            uint64_t *size_out, struct core_err *e)
{
    struct stat st;
    FILE *f;
    int fd, flags;

    *f_out = NULL;
    if (size_out)
        *size_out = 0;
    if (path[0] == '\0')
        return core_err(e, CORE_E_INPUT, ":0: an empty path cannot name a %s", what);
    fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return core_err(e, CORE_E_INPUT, "%s:0: cannot open: %s", path, strerror(errno));
    if (fstat(fd, &st) != 0) {
        int err = errno;
        close(fd);
        return core_err(e, CORE_E_INPUT, "%s:0: cannot read the %s: %s", path, what,
                        strerror(err));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return core_err(e, CORE_E_INPUT, "%s:0: not a regular file (%s): a %s must be a regular "
                        "file", path, file_type(st.st_mode), what);
    }
    if ((uint64_t)st.st_size > max_bytes) {
        close(fd);
        return core_err(e, CORE_E_INPUT,
                        "%s:0: %llu bytes is more than a %s may have (%llu bytes)", path,
                        (unsigned long long)st.st_size, what, (unsigned long long)max_bytes);
    }
    flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
        int err = errno;
        close(fd);
        return core_err(e, CORE_E_IO, "%s:0: cannot read the %s: %s", path, what, strerror(err));
    }
    f = fdopen(fd, "rb");
    if (!f) {
        close(fd);
        return core_err(e, CORE_E_NOMEM, "%s:0: out of memory opening the %s", path, what);
    }
    *f_out = f;
    if (size_out)
        *size_out = (uint64_t)st.st_size;
    return CORE_OK;
}
