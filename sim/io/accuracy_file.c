/*
 * accuracy_file.c — accuracy files: what `coinfer accuracy` printed for a
 * model's trained weights, read back so that a scenario's model can name
 * the accuracy of each (split, encoding) (issue 12: accuracy as a decision
 * variable). The file is that command's standard output, kept beside the
 * model (models/lenet5-fmnist.accuracy), so a run is reproducible from its
 * files alone:
 *
 *   # NAME, weights W: N test images, whole-model accuracy X %
 *   split  layer            encoding         bytes   accuracy  vs_fp32
 *       0  input            fp32              3136    91.92 %    +0.00
 *   ...
 *   encoding=fp32 max_drop_points=0.00 split=0 layer=input
 *
 * The file may also hold `coinfer accuracy --exits`'s output for the same
 * weights (a model with early exits: `{ coinfer accuracy M --weights W;
 * coinfer accuracy M --weights W --exits; } > FILE`), which starts with
 * `# NAME, weights W: N test images, confidence ...`: of that section only
 * the lines `# EXIT after LAYER every image leaving here: accuracy X %, ...`
 * are read (each exit's accuracy when every input leaves there: Edgent's
 * right-sizing), the output's and every other line of it skipped.
 *
 * After the table (and its summary), `coinfer accuracy` on a model file with
 * early exits prints one section per exit: the plans that cut before the
 * exit (or inside its branch) and end there, measured on the exit's
 * right-sized model (nn_exit_model):
 *
 *   # NAME, weights W: N test images, cuts before exit EXIT after LAYER (...)
 *   split  layer            encoding         bytes   accuracy  vs_exit
 *       0  input            int8               789    88.05 %    -0.02
 *
 * its rows read as the table's into exit_rows, each naming EXIT. A file
 * without such sections (older ones) loads as it did, with none.
 *
 * The first line gives the image count and the whole model's accuracy; each
 * row a split (layers the device runs, nn_model_cut_prefixes; or, for a cut
 * that is no prefix of the layer order, `coinfer accuracy --cuts all`, the
 * device's layers as ranges, io_accuracy_cut_text), the layer after which
 * it cuts (for such a cut, the crossing tensors' layers joined by '+'), the
 * encoding's text, the bytes one inference sends,
 * the accuracy in percent and its difference from the whole model's; the
 * closing `encoding=` lines are a summary and are skipped, as are blank
 * lines. Anything else is an error naming the file and line.
 */
#include "io/io.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest line read, B (a row is about 70). */
#define LINE_MAX_BYTES 1024
/* Layers a cut's text may name (io_accuracy_cut_parse's bound when the
 * model is not known yet). */
#define MAX_CUT_LAYERS (1u << 20)

void io_accuracy_fini(struct io_accuracy *a)
{
    for (size_t i = 0; i < a->n_rows; i++)
        core_free(a->rows[i].cut);
    for (size_t i = 0; i < a->n_exit_rows; i++)
        core_free(a->exit_rows[i].cut);
    core_free(a->rows);
    core_free(a->exit_rows);
    memset(a, 0, sizeof(*a));
}

/* Append row r to rows[*n] (room for *cap), growing the array. */
static enum core_rc push_row(struct io_accuracy_row **rows, size_t *n,
                             const struct io_accuracy_row *r, size_t *cap, struct core_err *e)
{
    if (*n == *cap) {
        size_t c = *cap ? 2 * *cap : 32;
        struct io_accuracy_row *grown = core_realloc(*rows, c * sizeof(*grown));

        if (!grown)
            return core_err(e, CORE_E_NOMEM, "out of memory for accuracy rows");
        *rows = grown;
        *cap = c;
    }
    (*rows)[(*n)++] = *r;
    return CORE_OK;
}

/* The header of an exit's section: its exit's name in name (room 48). */
static bool parse_exit_header(const char *line, char *name)
{
    const char *p = strstr(line, " test images, cuts before exit ");
    char after[64];

    if (line[0] != '#' || !p)
        return false;
    return sscanf(p, " test images, cuts before exit %47s after %63s", name, after) == 2;
}

static bool blank(const char *s)
{
    return s[strspn(s, " \t\r\n")] == '\0';
}

/* The header line: N test images and the whole model's accuracy. */
static bool parse_header(const char *line, struct io_accuracy *a)
{
    const char *p = strstr(line, ": ");
    unsigned long n;
    double x;
    char pct;

    if (line[0] != '#' || !p)
        return false;
    if (sscanf(p, ": %lu test images, whole-model accuracy %lf %c", &n, &x, &pct) != 3 ||
        pct != '%' || n == 0 || !(x >= 0 && x <= 100))
        return false;
    a->n_images = n;
    a->whole = x / 100;
    return true;
}

size_t io_accuracy_cut_text(const bool *member, size_t n, char *buf, size_t size)
{
    size_t len = 0, ranges = 0, single = 0;
    bool one = false; /* the last range is one layer */

    if (size > 0)
        buf[0] = '\0';
    for (size_t i = 0; i < n;) {
        size_t j = i;
        int w;

        if (!member[i]) {
            i++;
            continue;
        }
        while (j + 1 < n && member[j + 1])
            j++;
        w = j > i ? snprintf(len < size ? buf + len : NULL, len < size ? size - len : 0,
                             "%s%zu-%zu", ranges ? "," : "", i, j)
                  : snprintf(len < size ? buf + len : NULL, len < size ? size - len : 0,
                             "%s%zu", ranges ? "," : "", i);
        single = i;
        one = j == i;
        len += (size_t)w;
        ranges++;
        i = j + 1;
    }
    if (ranges == 1 && one) /* one layer: "a-a" */
        len = (size_t)snprintf(buf, size, "%zu-%zu", single, single);
    return len;
}

bool io_accuracy_cut_parse(const char *text, size_t n, bool *member)
{
    unsigned long prev_b = 0;
    size_t ranges = 0;
    bool single_as_range = false;

    if (strpbrk(text, ",-") == NULL)
        return false;
    /* canonical as io_accuracy_cut_text writes it: ascending ranges, neither
     * overlapping nor adjacent, "a" for one layer but "a-a" when it is all */
    for (const char *p = text; *p;) {
        char *end;
        unsigned long a, b;

        if (*p < '0' || *p > '9')
            return false;
        a = strtoul(p, &end, 10);
        b = a;
        if (*end == '-') {
            if (end[1] < '0' || end[1] > '9')
                return false;
            b = strtoul(end + 1, &end, 10);
            if (b == a)
                single_as_range = true;
        }
        if (b < a || b >= n || (ranges > 0 && a <= prev_b + 1))
            return false;
        prev_b = b;
        ranges++;
        if (*end == ',' && end[1] != '\0')
            end++;
        else if (*end != '\0')
            return false;
        p = end;
    }
    if (single_as_range && ranges > 1)
        return false;
    if (member) {
        for (size_t i = 0; i < n; i++)
            member[i] = false;
        for (const char *p = text; *p;) {
            char *end;
            unsigned long a = strtoul(p, &end, 10), b = a;

            if (*end == '-')
                b = strtoul(end + 1, &end, 10);
            for (unsigned long i = a; i <= b; i++)
                member[i] = true;
            p = *end ? end + 1 : end;
        }
    }
    return true;
}

/* A row: split layer encoding bytes accuracy % vs_fp32. The split is a
 * prefix's layer count, or a cut's text (r->cut, allocated). Returns false
 * for a malformed row; *nomem when the cut's text could not be kept. */
static bool parse_row(const char *line, struct io_accuracy_row *r, bool *nomem)
{
    char split[LINE_MAX_BYTES], layer[LINE_MAX_BYTES], enc[sizeof(r->encoding)], unit;
    unsigned long long bytes;
    double pct, vs;
    int used = 0;

    memset(r, 0, sizeof(*r));
    *nomem = false;
    if (sscanf(line, "%1023s %1023s %31s %llu %lf %c %lf %n", split, layer, enc, &bytes, &pct,
               &unit, &vs, &used) != 7 ||
        unit != '%' || line[used] != '\0' || !(pct >= 0 && pct <= 100) || bytes == 0)
        return false;
    if (split[strspn(split, "0123456789")] == '\0') {
        unsigned long long k = strtoull(split, NULL, 10);

        if (strlen(split) > 10 || k > UINT32_MAX)
            return false;
        r->split = (uint32_t)k;
    } else {
        size_t count = 0;

        if (!io_accuracy_cut_parse(split, MAX_CUT_LAYERS, NULL))
            return false;
        for (const char *p = split; *p;) {
            char *end;
            unsigned long a = strtoul(p, &end, 10), b = a;

            if (*end == '-')
                b = strtoul(end + 1, &end, 10);
            count += b - a + 1;
            p = *end ? end + 1 : end;
        }
        if (count > UINT32_MAX)
            return false;
        r->split = (uint32_t)count;
        r->cut = core_malloc(strlen(split) + 1);
        if (!r->cut) {
            *nomem = true;
            return false;
        }
        strcpy(r->cut, split);
    }
    snprintf(r->encoding, sizeof(r->encoding), "%s", enc);
    r->bytes = bytes;
    r->accuracy = pct / 100;
    return true;
}

/* Whether rows a and b name the same cut. */
static bool same_cut(const struct io_accuracy_row *a, const struct io_accuracy_row *b)
{
    if ((a->cut == NULL) != (b->cut == NULL))
        return false;
    return a->cut ? strcmp(a->cut, b->cut) == 0 : a->split == b->split;
}

/* A line of the --exits section: an exit's line is kept (the output's and
 * every other line skipped); an exit twice or too many is an error. */
static enum core_rc exit_line(const char *path, int n_line, const char *line,
                              struct io_accuracy *a, struct core_err *e)
{
    struct io_accuracy_exit x;
    double pct;
    char pctc;

    memset(&x, 0, sizeof(x));
    if (sscanf(line, "# %47s after %63s every image leaving here: accuracy %lf %c", x.name,
               x.after, &pct, &pctc) != 4 || pctc != '%' || strcmp(x.name, "output") == 0)
        return CORE_OK;
    if (!(pct >= 0 && pct <= 100))
        return core_err(e, CORE_E_INPUT, "%s:%d: exit %s has accuracy %g %%, expected 0 to 100",
                        path, n_line, x.name, pct);
    for (size_t i = 0; i < a->n_exits; i++)
        if (strcmp(a->exits[i].name, x.name) == 0)
            return core_err(e, CORE_E_INPUT, "%s:%d: exit %s again (line %d)", path, n_line,
                            x.name, a->exits[i].line);
    if (a->n_exits == IO_ACCURACY_MAX_EXITS)
        return core_err(e, CORE_E_INPUT, "%s:%d: more than %d exits", path, n_line,
                        IO_ACCURACY_MAX_EXITS);
    x.accuracy = pct / 100;
    x.line = n_line;
    a->exits[a->n_exits++] = x;
    return CORE_OK;
}

enum core_rc io_accuracy_load(const char *path, struct io_accuracy *a, struct core_err *e)
{
    char line[LINE_MAX_BYTES], section[48] = "";
    size_t cap = 0, exit_cap = 0;
    int n_line = 0;
    bool header = false, columns = false, in_exits = false, nomem;
    enum core_rc rc;
    FILE *f;

    memset(a, 0, sizeof(*a));
    rc = core_file_open(path, "accuracy file", CORE_FILE_MAX_MODEL, &f, NULL, e);
    if (rc != CORE_OK)
        return rc;
    while (fgets(line, sizeof(line), f)) {
        struct io_accuracy_row r, *rows;
        size_t len = strlen(line), n_rows;

        n_line++;
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        else if (!feof(f)) {
            rc = core_err(e, CORE_E_INPUT, "%s:%d: line longer than %d bytes", path, n_line,
                          LINE_MAX_BYTES - 2);
            goto out_fail;
        }
        if (blank(line) || strncmp(line, "encoding=", 9) == 0)
            continue;
        if (line[0] == '#' && strstr(line, " test images, confidence ")) {
            in_exits = true; /* `coinfer accuracy --exits` */
            section[0] = '\0';
            continue;
        }
        if (!in_exits && parse_exit_header(line, section)) {
            columns = false; /* an exit's section: its own column line follows */
            continue;
        }
        if (in_exits) {
            struct io_accuracy_row unused;

            if (parse_header(line, a)) {
                in_exits = false; /* the table's own header follows the section */
                header = true;
                continue;
            }
            if (line[0] == '#' || !parse_row(line, &unused, &nomem)) {
                rc = line[0] != '#' && nomem
                         ? core_err(e, CORE_E_NOMEM, "out of memory for accuracy rows")
                         : exit_line(path, n_line, line, a, e);
                if (rc != CORE_OK)
                    goto out_fail;
                continue;
            }
            core_free(unused.cut); /* a table row: parsed again below */
            in_exits = false;
        }
        if (!header && section[0] == '\0') {
            if (!parse_header(line, a)) {
                rc = core_err(e, CORE_E_INPUT,
                              "%s:%d: expected `# MODEL, weights W: N test images, whole-model "
                              "accuracy X %%` (the first line `coinfer accuracy` prints)",
                              path, n_line);
                goto out_fail;
            }
            header = true;
            continue;
        }
        if (!columns) {
            char w[6][16];

            if (sscanf(line, "%15s %15s %15s %15s %15s %15s", w[0], w[1], w[2], w[3], w[4],
                       w[5]) != 6 || strcmp(w[0], "split") != 0 || strcmp(w[2], "encoding") != 0 ||
                strcmp(w[4], "accuracy") != 0) {
                rc = core_err(e, CORE_E_INPUT,
                              "%s:%d: expected the column line `split layer encoding bytes "
                              "accuracy vs_fp32`", path, n_line);
                goto out_fail;
            }
            columns = true;
            continue;
        }
        if (!parse_row(line, &r, &nomem)) {
            rc = nomem ? core_err(e, CORE_E_NOMEM, "out of memory for accuracy rows")
                       : core_err(e, CORE_E_INPUT,
                                  "%s:%d: expected a row `SPLIT LAYER ENCODING BYTES ACCURACY %% "
                                  "VS_FP32` (SPLIT a layer count or ranges of layers such as "
                                  "0-13,16-17; accuracy 0 to 100, bytes > 0)", path, n_line);
            goto out_fail;
        }
        r.line = n_line;
        if (section[0] && r.cut) {
            rc = core_err(e, CORE_E_INPUT,
                          "%s:%d: split %s before exit %s: an exit's splits are "
                          "layer counts of its model",
                          path, n_line, r.cut, section);
            core_free(r.cut);
            goto out_fail;
        }
        snprintf(r.exit, sizeof(r.exit), "%s", section);
        rows = section[0] ? a->exit_rows : a->rows;
        n_rows = section[0] ? a->n_exit_rows : a->n_rows;
        for (size_t i = 0; i < n_rows; i++)
            if (same_cut(&rows[i], &r) && strcmp(rows[i].encoding, r.encoding) == 0 &&
                strcmp(rows[i].exit, r.exit) == 0) {
                if (r.cut)
                    rc = core_err(e, CORE_E_INPUT, "%s:%d: split %s with %s again (line %d)", path,
                                  n_line, r.cut, r.encoding, rows[i].line);
                else
                    rc = core_err(e, CORE_E_INPUT, "%s:%d: split %u with %s%s%s again (line %d)",
                                  path, n_line, r.split, r.encoding,
                                  section[0] ? " before exit " : "", section, rows[i].line);
                core_free(r.cut);
                goto out_fail;
            }
        rc = section[0] ? push_row(&a->exit_rows, &a->n_exit_rows, &r, &exit_cap, e)
                        : push_row(&a->rows, &a->n_rows, &r, &cap, e);
        if (rc != CORE_OK) {
            core_free(r.cut);
            goto out_fail;
        }
    }
    if (ferror(f)) {
        rc = core_err(e, CORE_E_INPUT, "%s:%d: read error: %s", path, n_line, strerror(errno));
        goto out_fail;
    }
    if (a->n_rows == 0) {
        rc = core_err(e, CORE_E_INPUT, "%s:%d: no accuracy rows", path, n_line);
        goto out_fail;
    }
    fclose(f);
    return CORE_OK;

out_fail:
    fclose(f);
    io_accuracy_fini(a);
    return rc;
}
