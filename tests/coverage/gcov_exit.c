/*
 * gcov_exit.c — linked only into `make coverage`'s programs, with
 * -Wl,--wrap=_exit: a process of coinfer's that ends with _exit (a sweep's
 * template and its workers, forked children that must not run the
 * parent's at-exit handlers) would skip gcov's at-exit dump and lose every
 * count it made. This writes the counts first, then exits as _exit does.
 */
#include <gcov.h>

void __real__exit(int status) __attribute__((noreturn));
void __wrap__exit(int status) __attribute__((noreturn));

void __wrap__exit(int status)
{
    __gcov_dump();
    __real__exit(status);
}
