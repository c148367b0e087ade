/*
 * frc_conform.c - `frc conform`, the conformance runner, and `frc digest`,
 * libfrc's implementation of the runner's protocol.
 *
 * The protocol (testvectors/README.md): an implementation is a command that
 * is run as `CMD FILE`. When it accepts FILE it exits 0 and prints YAML:
 *
 *   read_only: false          # true: accepted, but may not be modified
 *   regions:                  # every region, in region-table order
 *   - id: "pc.ram"
 *     sha256: "<hex of the region's used_length bytes, absent pages zero>"
 *   sections:                 # every section it read, in table order
 *   - index: 0
 *     type: 1
 *     sha256: "<hex of the section's bytes>"
 *
 * When it rejects FILE it exits 1 and prints the error class of SPEC "Error
 * classes"
 * (e.g. "checksum-mismatch") as the first line. Anything else (another exit
 * status, a signal, a timeout) is a failure of the implementation.
 */
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <yaml.h>

#include "digest.h"
#include "frc_tool.h"

#define MAX_OUTPUT (4u << 20)   /* bytes read from an implementation */

struct item {
	char *id; /* region id (bytes, may contain anything but NUL) */
	uint64_t index, type;
	char sha[65];
};

/* What an implementation said about one file. */
struct outcome {
	enum { OUT_ACCEPT, OUT_REJECT, OUT_BROKEN } kind;
	char why[256]; /* error class, or what went wrong */
	char msg[512]; /* libfrc's message when it rejects */
	int read_only;
	struct item *regions, *sections; /* every one, in table order */
	unsigned nregions, nsections;
};

/* Room for n items (n comes from an open file's table or a parsed YAML
 * list, both bounded); false when out of memory. */
static bool items_alloc(struct item **v, size_t n)
{
	*v = calloc(n ? n : 1, sizeof(**v));
	return *v != NULL;
}

static void outcome_free(struct outcome *o)
{
	for (unsigned i = 0; i < o->nregions; i++)
		free(o->regions[i].id);
	for (unsigned i = 0; i < o->nsections; i++)
		free(o->sections[i].id);
	free(o->regions);
	free(o->sections);
	o->regions = o->sections = NULL;
	o->nregions = o->nsections = 0;
}

/* ------------------------------------------------------------------ */
/* libfrc as an implementation                                         */
/* ------------------------------------------------------------------ */

/* Feeds n zero bytes to d. */
static void digest_zeros(struct digest *d, uint64_t n)
{
	static const uint8_t zeros[1 << 16];

	for (; n; n -= n < sizeof(zeros) ? n : sizeof(zeros))
		digest_update(d, zeros, n < sizeof(zeros) ? n : sizeof(zeros));
}

/* SHA-256 of a region's contents: present pages read and verified one at
 * a time, absent ones hashed as zeros without reading. */
static int digest_region(frc_reader_t *r, uint32_t idx, char hex[65])
{
	frc_region_info_t g;
	struct digest *d = digest_new();
	uint8_t *page;
	uint64_t p = 0, first, count;
	int rc = frc_reader_region(r, idx, &g, sizeof(g));

	page = malloc(g.page_size ? g.page_size : 1);
	if (!page)
		rc = FRC_E_NOMEM;
	while (rc == FRC_OK && p < g.page_count) {
		rc = frc_reader_next_run(r, idx, p, &first, &count);
		if (rc)
			break;
		digest_zeros(d, (first - p) * g.page_size);
		for (p = first; rc == FRC_OK && p < first + count; p++) {
			rc = frc_reader_read_page(r, idx, p, page);
			if (rc == FRC_OK)
				digest_update(d, page, g.page_size);
		}
		p = first + count;
	}
	digest_final(d, hex);
	free(page);
	return rc;
}

static int digest_piece(void *ctx, const void *data, size_t len, uint64_t off)
{
	(void)off;
	digest_update(ctx, data, len);
	return 0;
}

/* SHA-256 of a section, streamed 1 MiB at a time. */
static int digest_section(frc_reader_t *r, uint32_t idx, char hex[65])
{
	struct digest *d = digest_new();
	int rc = frc_reader_read_section_stream(r, idx, digest_piece, d);

	digest_final(d, hex);
	return rc;
}

/* Opens, verifies and digests FILE with libfrc. */
static void run_libfrc(const char *path, struct outcome *o)
{
	frc_reader_t *r = frc_reader_new();
	frc_info_t in;
	int rc;

	memset(o, 0, sizeof(*o));
	rc = r ? frc_reader_open(r, path, 0) : FRC_E_NOMEM;
	if (rc == FRC_OK)
		rc = frc_reader_verify(r, NULL, NULL);
	memset(&in, 0, sizeof(in));
	if (rc == FRC_OK) /* (asked of a reader that failed: its reason goes) */
		frc_reader_get_info(r, &in, sizeof(in));
	if (rc == FRC_OK && (!items_alloc(&o->regions, in.region_count) ||
			     !items_alloc(&o->sections, in.section_count)))
		rc = FRC_E_NOMEM;
	for (uint32_t i = 0; rc == FRC_OK && i < in.region_count; i++) {
		frc_region_info_t g;

		frc_reader_region(r, i, &g, sizeof(g));
		o->regions[i].id = strdup(g.id);
		o->nregions++;
		rc = digest_region(r, i, o->regions[i].sha);
	}
	for (uint32_t i = 0; rc == FRC_OK && i < in.section_count; i++) {
		frc_section_info_t s;

		frc_reader_section(r, i, &s, sizeof(s));
		o->sections[i].index = i;
		o->sections[i].type = s.type;
		o->nsections++;
		rc = digest_section(r, i, o->sections[i].sha);
	}
	o->read_only = in.read_only;
	if (rc == FRC_OK) {
		o->kind = OUT_ACCEPT;
	} else {
		o->kind = rc < FRC_ERROR_CLASS_LIMIT ? OUT_REJECT : OUT_BROKEN;
		snprintf(o->why, sizeof(o->why), "%s", frc_error_name(rc));
		snprintf(o->msg, sizeof(o->msg), "%s",
			 r && *frc_reader_errmsg(r) ? frc_reader_errmsg(r)
						    : frc_strerror(rc));
	}
	frc_reader_free(r);
}

/* ------------------------------------------------------------------ */
/* YAML helpers (libyaml document API)                                 */
/* ------------------------------------------------------------------ */

static yaml_node_t *y_get(yaml_document_t *doc, yaml_node_t *map,
			  const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);

		if (k && k->type == YAML_SCALAR_NODE &&
		    k->data.scalar.length == strlen(key) &&
		    !memcmp(k->data.scalar.value, key, strlen(key)))
			return yaml_document_get_node(doc, p->value);
	}
	return NULL;
}

/* The scalar's text as a new string ("" when absent or not a scalar). */
static char *y_str(yaml_node_t *n)
{
	if (!n || n->type != YAML_SCALAR_NODE)
		return strdup("");
	return strndup((const char *)n->data.scalar.value,
		       n->data.scalar.length);
}

static uint64_t y_uint(yaml_node_t *n)
{
	char *s = y_str(n);
	uint64_t v = strtoull(s, NULL, 0);

	free(s);
	return v;
}

static unsigned y_len(yaml_node_t *n)
{
	if (!n || n->type != YAML_SEQUENCE_NODE)
		return 0;
	return (unsigned)(n->data.sequence.items.top -
			  n->data.sequence.items.start);
}

static yaml_node_t *y_at(yaml_document_t *doc, yaml_node_t *seq, unsigned i)
{
	return yaml_document_get_node(doc, seq->data.sequence.items.start[i]);
}

static void copy_sha(char dst[65], yaml_node_t *n)
{
	char *s = y_str(n);

	snprintf(dst, 65, "%s", s);
	free(s);
}

/* Region and section lists of a manifest entry or of an impl's output;
 * false when out of memory. */
static bool read_items(yaml_document_t *doc, yaml_node_t *root,
		       struct outcome *o)
{
	yaml_node_t *regs = y_get(doc, root, "regions");
	yaml_node_t *secs = y_get(doc, root, "sections");

	if (!items_alloc(&o->regions, y_len(regs)) ||
	    !items_alloc(&o->sections, y_len(secs)))
		return false;
	for (unsigned i = 0; i < y_len(regs); i++) {
		yaml_node_t *m = y_at(doc, regs, i);

		o->regions[i].id = y_str(y_get(doc, m, "id"));
		copy_sha(o->regions[i].sha, y_get(doc, m, "sha256"));
		o->nregions++;
	}
	for (unsigned i = 0; i < y_len(secs); i++) {
		yaml_node_t *m = y_at(doc, secs, i);

		o->sections[i].index = y_uint(y_get(doc, m, "index"));
		o->sections[i].type = y_uint(y_get(doc, m, "type"));
		copy_sha(o->sections[i].sha, y_get(doc, m, "sha256"));
		o->nsections++;
	}
	return true;
}

static int load_yaml(const char *text, size_t len, yaml_document_t *doc)
{
	yaml_parser_t parser;
	int ok;

	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	ok = yaml_parser_load(&parser, doc) && yaml_document_get_root_node(doc);
	if (!ok && parser.error == YAML_NO_ERROR)
		yaml_document_delete(doc);
	yaml_parser_delete(&parser);
	return ok ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* a third-party implementation                                        */
/* ------------------------------------------------------------------ */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs `sh -c 'CMD "$1"' - FILE`; collects stdout, waits, times out. */
static int run_command(const char *cmd, const char *path, double timeout,
		       int verbose, char **out, size_t *outlen, int *status)
{
	int fds[2];
	pid_t pid;
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	double deadline = now_s() + timeout;
	char *script;

	if (!buf || pipe(fds) != 0)
		return -1;
	if (asprintf(&script, "%s \"$1\"", cmd) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		/* stdin and (unless -v) stderr: /dev/null, readable and
		 * writable; its own process group, killed whole on timeout */
		int devnull = open("/dev/null", O_RDWR);

		setpgid(0, 0);

		dup2(fds[1], STDOUT_FILENO);
		if (devnull >= 0) {
			dup2(devnull, STDIN_FILENO);
			if (!verbose)
				dup2(devnull, STDERR_FILENO);
		}
		close(fds[0]);
		close(fds[1]);
		execl("/bin/sh", "sh", "-c", script, "frc-conform", path,
		      (char *)NULL);
		_exit(127);
	}
	free(script);
	close(fds[1]);
	for (;;) {
		struct pollfd p = { fds[0], POLLIN, 0 };
		int left = (int)((deadline - now_s()) * 1000);
		ssize_t n;

		if (left <= 0 || poll(&p, 1, left) == 0) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			*status = -1; /* timeout */
			break;
		}
		if (len + 4096 > cap && cap < MAX_OUTPUT) {
			char *grown = realloc(buf, cap * 2);

			if (!grown)
				break;
			buf = grown;
			cap *= 2;
		}
		n = read(fds[0], buf + len, cap - len - 1 < 4096 ? cap - len - 1 : 4096);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || len + (size_t)n >= MAX_OUTPUT)
			break;
		len += (size_t)n;
	}
	close(fds[0]);
	{
		/* a program that closed its output may still run: it too has
		 * until the deadline */
		int st = 0;
		pid_t got;

		while ((got = waitpid(pid, &st, WNOHANG)) == 0 ||
		       (got < 0 && errno == EINTR)) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };

			if (got == 0 && now_s() > deadline) {
				kill(-pid, SIGKILL);
				kill(pid, SIGKILL);
				*status = -1;
				while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
					;
				break;
			}
			nanosleep(&ts, NULL);
		}
		if (*status != -1)
			*status = st;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
}

static void run_external(const char *cmd, const char *path, double timeout,
			 int verbose, struct outcome *o)
{
	char *out = NULL;
	size_t len = 0;
	int status = 0;
	yaml_document_t doc;

	memset(o, 0, sizeof(*o));
	o->kind = OUT_BROKEN;
	if (run_command(cmd, path, timeout, verbose, &out, &len, &status) != 0) {
		snprintf(o->why, sizeof(o->why), "cannot run the implementation");
		return;
	}
	if (status == -1) {
		snprintf(o->why, sizeof(o->why), "timed out after %.0f s",
			 timeout);
	} else if (WIFSIGNALED(status)) {
		snprintf(o->why, sizeof(o->why), "killed by signal %d",
			 WTERMSIG(status));
	} else if (WEXITSTATUS(status) == 1) {
		o->kind = OUT_REJECT;
		snprintf(o->why, sizeof(o->why), "%.*s",
			 (int)strcspn(out + strspn(out, " \t\n"), " \t\r\n"),
			 out + strspn(out, " \t\n"));
	} else if (WEXITSTATUS(status) != 0) {
		snprintf(o->why, sizeof(o->why), "exit status %d",
			 WEXITSTATUS(status));
	} else if (load_yaml(out, len, &doc) != 0) {
		snprintf(o->why, sizeof(o->why), "exit 0 without valid YAML");
	} else {
		yaml_node_t *root = yaml_document_get_root_node(&doc);
		char *ro = y_str(y_get(&doc, root, "read_only"));

		o->kind = OUT_ACCEPT;
		o->read_only = !strcmp(ro, "true");
		free(ro);
		if (!read_items(&doc, root, o)) {
			o->kind = OUT_BROKEN;
			snprintf(o->why, sizeof(o->why), "out of memory");
		}
		yaml_document_delete(&doc);
	}
	free(out);
}

/* ------------------------------------------------------------------ */
/* comparing with the manifest                                         */
/* ------------------------------------------------------------------ */

struct vector {
	char *id, *path, *expect, *error, *sha256;
	char *version, *applies_below; /* "major.minor"; the second optional */
	uint64_t size;
	struct outcome want; /* regions and sections when accepted */
};

static void vector_free(struct vector *v)
{
	free(v->id);
	free(v->path);
	free(v->expect);
	free(v->error);
	free(v->sha256);
	free(v->version);
	free(v->applies_below);
	outcome_free(&v->want);
}

static const struct item *find_section(const struct outcome *o, uint64_t i)
{
	for (unsigned k = 0; k < o->nsections; k++)
		if (o->sections[k].index == i)
			return &o->sections[k];
	return NULL;
}

/* Known section types must be reported; unknown ones may be skipped. */
static int compare_contents(const struct vector *v, const struct outcome *got,
			    char *why, size_t size)
{
	if (got->nregions != v->want.nregions) {
		snprintf(why, size, "%u regions, want %u", got->nregions,
			 v->want.nregions);
		return -1;
	}
	for (unsigned i = 0; i < v->want.nregions; i++) {
		if (strcmp(got->regions[i].id, v->want.regions[i].id) ||
		    strcmp(got->regions[i].sha, v->want.regions[i].sha)) {
			snprintf(why, size, "region %u ('%s') differs", i,
				 v->want.regions[i].id);
			return -1;
		}
	}
	for (unsigned i = 0; i < v->want.nsections; i++) {
		const struct item *w = &v->want.sections[i];
		const struct item *g = find_section(got, w->index);
		int known = w->type == FRC_SECTION_DEVICE_STATE ||
			    w->type == FRC_SECTION_METADATA;

		if ((!g && known) || (g && strcmp(g->sha, w->sha))) {
			snprintf(why, size, "section %" PRIu64 " (type %" PRIu64
				 ") %s", w->index, w->type,
				 g ? "differs" : "missing");
			return -1;
		}
	}
	return 0;
}

static int judge(const struct vector *v, const struct outcome *got,
		 char *why, size_t size)
{
	int reject = !strcmp(v->expect, "reject");
	int ro = !strcmp(v->expect, "accept-read-only");

	if (got->kind == OUT_BROKEN) {
		snprintf(why, size, "implementation failed: %s", got->why);
		return -1;
	}
	if (reject) {
		if (got->kind != OUT_REJECT) {
			snprintf(why, size, "expected reject %s, got accept",
				 v->error);
			return -1;
		}
		if (strcmp(got->why, v->error)) {
			snprintf(why, size, "expected reject %s, got reject %s",
				 v->error, got->why);
			return -1;
		}
		return 0;
	}
	if (got->kind != OUT_ACCEPT) {
		snprintf(why, size, "expected %s, got reject %s", v->expect,
			 got->why);
		return -1;
	}
	if (got->read_only != ro) {
		snprintf(why, size, "expected %s, got %s", v->expect,
			 got->read_only ? "accept-read-only" : "accept");
		return -1;
	}
	return compare_contents(v, got, why, size);
}

/* ------------------------------------------------------------------ */
/* the runner                                                          */
/* ------------------------------------------------------------------ */

struct conform_opts {
	const char *impl; /* NULL: libfrc */
	double timeout;
	int quiet, verbose;
	unsigned passed, failed, skipped;
	unsigned reader; /* the format version the reader implements: 1000 *
			    major + minor */
};

/* "1.2" as 1002; 0 when it is not a version */
static unsigned parse_version(const char *s)
{
	unsigned major, minor;
	char end;

	if (!s || sscanf(s, "%u.%u%c", &major, &minor, &end) != 2 ||
	    major > 1000 || minor > 999)
		return 0;
	return major * 1000 + minor;
}

static bool read_vector(yaml_document_t *doc, yaml_node_t *m,
			struct vector *v)
{
	memset(v, 0, sizeof(*v));
	v->id = y_str(y_get(doc, m, "id"));
	v->path = y_str(y_get(doc, m, "path"));
	v->expect = y_str(y_get(doc, m, "expect"));
	v->error = y_str(y_get(doc, m, "error"));
	v->sha256 = y_str(y_get(doc, m, "sha256"));
	v->version = y_str(y_get(doc, m, "version"));
	v->applies_below = y_str(y_get(doc, m, "applies_below"));
	v->size = y_uint(y_get(doc, m, "size"));
	return read_items(doc, m, &v->want);
}

/* The vector file must be the released one, byte for byte. */
static int check_file(const char *path, const struct vector *v, char *why,
		      size_t size)
{
	struct stat st;
	char hex[65];

	if (stat(path, &st) != 0 || digest_file(path, hex) != 0) {
		snprintf(why, size, "cannot read %.400s: %s", path,
			 strerror(errno));
		return -1;
	}
	if ((uint64_t)st.st_size != v->size || strcmp(hex, v->sha256)) {
		snprintf(why, size, "%.400s differs from the manifest (size or "
			 "sha256): the vector file was changed", path);
		return -1;
	}
	return 0;
}

/*
 * Whether a vector applies to the reader (testvectors/README.md): a valid
 * or invalid file of a newer format version than the reader implements
 * does not; a future-set vector with `applies_below` only applies to
 * readers of older versions (it is their view of a newer file).
 */
static const char *not_applicable(const struct conform_opts *c,
				  const char *set, const struct vector *v)
{
	if (*v->applies_below &&
	    c->reader >= parse_version(v->applies_below))
		return "it is the view of readers older than this one";
	if (strcmp(set, "future") != 0 &&
	    parse_version(v->version) > c->reader)
		return "the file's version is newer than the reader's";
	return NULL;
}

static void run_vector(struct conform_opts *c, const char *dir,
		       const char *set, const struct vector *v)
{
	char path[2048], why[512];
	const char *na = not_applicable(c, set, v);
	struct outcome got;
	int bad;

	if (na) {
		c->skipped++;
		if (!c->quiet)
			printf("N/A  %s (%s)\n", v->id, na);
		return;
	}

	snprintf(path, sizeof(path), "%s/%s", dir, v->path);
	bad = check_file(path, v, why, sizeof(why));
	memset(&got, 0, sizeof(got));
	if (!bad) {
		if (c->impl)
			run_external(c->impl, path, c->timeout, c->verbose,
				     &got);
		else
			run_libfrc(path, &got);
		bad = judge(v, &got, why, sizeof(why));
	}
	if (bad) {
		c->failed++;
		printf("FAIL %s: %s\n", v->id, why);
	} else {
		c->passed++;
		if (!c->quiet)
			printf("PASS %s (%s%s%s)\n", v->id, v->expect,
			       *v->error ? " " : "", v->error);
	}
	outcome_free(&got);
	fflush(stdout);
}

static int run_manifest(struct conform_opts *c, const char *manifest)
{
	FILE *f = fopen(manifest, "rb");
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *vectors;
	char *dir = strdup(manifest), *slash, *set = NULL;
	int ok;

	if (!f || !dir) {
		tool_err("cannot open '%s': %s", manifest, strerror(errno));
		free(dir);
		return -1;
	}
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	ok = yaml_parser_load(&parser, &doc);
	if (!ok)
		tool_err("%s: line %zu: %s", manifest,
			 parser.problem_mark.line + 1,
			 parser.problem ? parser.problem : "invalid YAML");
	yaml_parser_delete(&parser);
	fclose(f);
	if (!ok) {
		free(dir);
		return -1;
	}
	vectors = y_get(&doc, yaml_document_get_root_node(&doc), "vectors");
	set = y_str(y_get(&doc, yaml_document_get_root_node(&doc), "set"));
	if (!y_len(vectors)) {
		tool_err("%s: no 'vectors' list", manifest);
		ok = 0;
	}
	for (unsigned i = 0; ok && i < y_len(vectors); i++) {
		struct vector v;

		if (read_vector(&doc, y_at(&doc, vectors, i), &v)) {
			run_vector(c, dir, set, &v);
		} else {
			tool_err("%s: out of memory", manifest);
			ok = 0;
		}
		vector_free(&v);
	}
	yaml_document_delete(&doc);
	free(dir);
	free(set);
	return ok ? 0 : -1;
}

static int conform_usage(FILE *f)
{
	fputs("usage: frc conform [--impl CMD] [--reader-version X.Y] "
	      "[--timeout SEC] [-q]\n"
	      "                   [MANIFEST.yaml ...]\n"
	      "\n"
	      "Runs an implementation against the test vectors of the given\n"
	      "manifests (default: testvectors/v1/{valid,invalid,future}.yaml)\n"
	      "and prints PASS or FAIL per vector, then 'N passed, N failed'.\n"
	      "\n"
	      "  --impl CMD       test CMD instead of libfrc; it is run as\n"
	      "                   'CMD FILE' (protocol in testvectors/README.md)\n"
	      "  --reader-version X.Y  the format version the implementation\n"
	      "                   reads (default: the newest this frc "
	      "knows); vectors\n"
	      "                   that do not apply to it are listed as N/A\n"
	      "  --timeout SEC    seconds allowed per vector (default 60)\n"
	      "  -q, --quiet      print only failures and the totals\n"
	      "  -v, --verbose    show the implementation's standard error\n",
	      f);
	return 1;
}

int cmd_conform(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "impl", required_argument, NULL, 'i' },
		{ "timeout", required_argument, NULL, 't' },
		{ "reader-version", required_argument, NULL, 'r' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *defaults[] = { "testvectors/v1/valid.yaml",
					  "testvectors/v1/invalid.yaml",
					  "testvectors/v1/future.yaml" };
	struct conform_opts c = { NULL, 60, 0, 0, 0, 0, 0,
				  FRC_FORMAT_VERSION_MAJOR * 1000 +
					  FRC_FORMAT_VERSION_MINOR };
	int opt, bad = 0;

	while ((opt = getopt_long(argc, argv, "qvh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'i': c.impl = optarg; break;
		case 'v': c.verbose = 1; break;
		case 't': c.timeout = atof(optarg); break;
		case 'r':
			c.reader = parse_version(optarg);
			if (!c.reader)
				return conform_usage(stderr);
			break;
		case 'q': c.quiet = 1; break;
		case 'h': conform_usage(stdout); return 0;
		default: return conform_usage(stderr);
		}
	}
	if (c.timeout <= 0)
		return conform_usage(stderr);
	if (optind == argc) {
		for (size_t i = 0; i < 3; i++)
			bad |= run_manifest(&c, defaults[i]);
	}
	for (int i = optind; i < argc; i++)
		bad |= run_manifest(&c, argv[i]);
	printf("%u passed, %u failed", c.passed, c.failed);
	if (c.skipped)
		printf(", %u not applicable to a %u.%u reader", c.skipped,
		       c.reader / 1000, c.reader % 1000);
	printf("\n");
	return bad || c.failed || !c.passed ? 1 : 0;
}

/* ------------------------------------------------------------------ */
/* frc digest: the protocol's reference implementation                 */
/* ------------------------------------------------------------------ */

static void print_outcome(const struct outcome *o)
{
	struct out *y = out_new(OUT_YAML, stdout);

	out_bool(y, "read_only", o->read_only);
	out_list(y, "regions");
	for (unsigned i = 0; i < o->nregions; i++) {
		out_map(y, NULL);
		out_str(y, "id", o->regions[i].id);
		out_str(y, "sha256", o->regions[i].sha);
		out_end(y);
	}
	out_end(y);
	out_list(y, "sections");
	for (unsigned i = 0; i < o->nsections; i++) {
		out_map(y, NULL);
		out_uint(y, "index", o->sections[i].index);
		out_uint(y, "type", o->sections[i].type);
		out_str(y, "sha256", o->sections[i].sha);
		out_end(y);
	}
	out_end(y);
	out_finish(y);
}

int cmd_digest(int argc, char **argv)
{
	struct outcome o;
	int rc;

	if (argc != 2 || argv[1][0] == '-') {
		fputs("usage: frc digest FILE\n"
		      "\n"
		      "Verifies FILE and prints the SHA-256 of every region's\n"
		      "contents and every section as YAML (exit 0), or the error\n"
		      "class that rejects it (exit 1): the protocol of\n"
		      "'frc conform --impl', implemented with libfrc.\n",
		      argc == 2 ? stdout : stderr);
		return argc == 2 && !strcmp(argv[1], "--help") ? 0 : 2;
	}
	run_libfrc(argv[1], &o);
	if (o.kind == OUT_ACCEPT)
		print_outcome(&o);
	else {
		printf("%s\n", o.why);
		tool_err("%s", o.msg);
	}
	rc = o.kind == OUT_ACCEPT ? 0 : o.kind == OUT_REJECT ? 1 : 2;
	outcome_free(&o);
	return rc;
}
