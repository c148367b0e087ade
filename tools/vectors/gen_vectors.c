/*
 * gen_vectors.c - frc-gen-vectors: writes every test vector of
 * testvectors/v1, their YAML manifests and the table of which vector
 * exercises which requirement of SPEC.adoc (COVERAGE.md).
 *
 * usage: frc-gen-vectors [--spec SPEC.adoc] OUTDIR
 *
 * Everything is deterministic (fixed UUIDs, times and contents), so running
 * it again reproduces the checked-in files byte for byte; `make check` does
 * exactly that.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "digest.h"
#include "frc.h"
#include "gen_vectors.h"

#define GENERATOR_NAME "frc-gen-vectors 1"
#define MAX_RULES 128
#define MAX_USES 512

struct set {
	const char *name;
	const struct recipe *recipes;
	unsigned base; /* makes UUIDs unique across sets */
};

static const struct set sets[] = {
	{ "valid", valid_recipes, 1000 },
	{ "invalid", invalid_recipes, 2000 },
	{ "future", future_recipes, 3000 },
};

/* A requirement of SPEC.adoc and the vectors that exercise it. */
struct rule {
	char id[40];
	char section[16];
	char text[200];
	char *uses[MAX_USES];
	unsigned nuses;
};

static struct rule rules[MAX_RULES];
static unsigned nrules;

static void die(const char *what, const char *arg)
{
	fprintf(stderr, "frc-gen-vectors: %s%s%s: %s\n", what, arg ? " " : "",
		arg ? arg : "", errno ? strerror(errno) : "failed");
	exit(1);
}

/* ---- YAML emission through libyaml ---- */

static void emit(yaml_emitter_t *e, yaml_event_t *ev)
{
	if (!yaml_emitter_emit(e, ev))
		die("cannot write YAML", e->problem);
}

static void y_scalar(yaml_emitter_t *e, const char *v, size_t len,
		     yaml_scalar_style_t style)
{
	yaml_event_t ev;

	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)v,
				     (int)len, 1, 1, style);
	emit(e, &ev);
}

static void y_str(yaml_emitter_t *e, const char *v)
{
	y_scalar(e, v, strlen(v), YAML_ANY_SCALAR_STYLE);
}

/* Strings that must stay strings (versions, digests, ids). */
static void y_qstr(yaml_emitter_t *e, const char *v, size_t len)
{
	y_scalar(e, v, len, YAML_DOUBLE_QUOTED_SCALAR_STYLE);
}

static void y_uint(yaml_emitter_t *e, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	y_scalar(e, buf, strlen(buf), YAML_PLAIN_SCALAR_STYLE);
}

static void y_map(yaml_emitter_t *e, int start, int flow)
{
	yaml_event_t ev;

	if (start)
		yaml_mapping_start_event_initialize(
			&ev, NULL, NULL, 1,
			flow ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE);
	else
		yaml_mapping_end_event_initialize(&ev);
	emit(e, &ev);
}

static void y_seq(yaml_emitter_t *e, int start, int flow)
{
	yaml_event_t ev;

	if (start)
		yaml_sequence_start_event_initialize(
			&ev, NULL, NULL, 1,
			flow ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE);
	else
		yaml_sequence_end_event_initialize(&ev);
	emit(e, &ev);
}

static void y_kv(yaml_emitter_t *e, const char *k, const char *v)
{
	y_str(e, k);
	y_str(e, v);
}

/* ---- digests of what a reader must return ---- */

static void region_digest(const struct vb_region *r, char hex[65])
{
	struct digest *d = digest_new();
	uint8_t *page = malloc(r->page_size);
	uint64_t n = r->used_length / r->page_size;

	if (!page)
		die("out of memory", NULL);
	for (uint64_t i = 0; i < n; i++) {
		vb_page_bytes(r, i, page);
		digest_update(d, page, r->page_size);
	}
	digest_final(d, hex);
	free(page);
}

static uint64_t present_pages(const struct vb_region *r)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < r->used_length / r->page_size; i++)
		n += vb_page_stored(r->present[i]);
	return n;
}

static void emit_bits(yaml_emitter_t *e, const char *key, uint64_t mask)
{
	y_str(e, key);
	y_seq(e, 1, 1);
	for (unsigned b = 0; b < 64; b++)
		if (mask & (UINT64_C(1) << b))
			y_uint(e, b);
	y_seq(e, 0, 1);
}

static void emit_contents(yaml_emitter_t *e, const struct vb_file *f)
{
	char hex[65];

	y_str(e, "regions");
	y_seq(e, 1, 0);
	for (unsigned i = 0; i < f->nregions; i++) {
		const struct vb_region *r = &f->regions[i];

		region_digest(r, hex);
		y_map(e, 1, 0);
		y_str(e, "id");
		y_qstr(e, (const char *)r->id, r->id_length);
		y_str(e, "page_size");
		y_uint(e, r->page_size);
		y_str(e, "used_length");
		y_uint(e, r->used_length);
		y_str(e, "present_pages");
		y_uint(e, present_pages(r));
		y_str(e, "sha256");
		y_qstr(e, hex, 64);
		y_map(e, 0, 0);
	}
	y_seq(e, 0, 0);
	y_str(e, "sections");
	y_seq(e, 1, 0);
	for (unsigned i = 0; i < f->nsections; i++) {
		const struct vb_section *s = &f->sections[i];

		digest_buffer(s->data, s->length, hex);
		y_map(e, 1, 0);
		y_str(e, "index");
		y_uint(e, i);
		y_str(e, "type");
		y_uint(e, s->type);
		y_str(e, "name");
		y_qstr(e, (const char *)s->name, s->name_length);
		y_str(e, "length");
		y_uint(e, s->length);
		y_str(e, "sha256");
		y_qstr(e, hex, 64);
		y_map(e, 0, 0);
	}
	y_seq(e, 0, 0);
}

/* ---- requirement ids ---- */

static struct rule *find_rule(const char *id)
{
	for (unsigned i = 0; i < nrules; i++)
		if (!strcmp(rules[i].id, id))
			return &rules[i];
	return NULL;
}

/* Rule text: from the anchor to the end of its sentence, one line. */
static void rule_text(const char *p, char *out, size_t size)
{
	size_t k = 0;

	for (; *p && k + 1 < size; p++) {
		if (*p == '\n' && p[1] == '\n')
			break;
		if (*p == '`' || *p == '*' || *p == '|')
			continue;
		if ((*p == '\n' || *p == ' ') && (k == 0 || out[k - 1] == ' '))
			continue;
		out[k++] = *p == '\n' ? ' ' : *p;
		if (*p == '.' && (p[1] == ' ' || p[1] == '\n' || !p[1]))
			break;
		if (!strncmp(p + 1, "[[", 2))
			break;
	}
	while (k && out[k - 1] == ' ')
		k--;
	out[k] = '\0';
}

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	long n;

	if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || !(buf = malloc((size_t)n + 1)) ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n)
		die("cannot read", path);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Reads the [[R-...]] anchors of SPEC.adoc with their section numbers. */
static void load_rules(const char *spec)
{
	char *text = read_all(spec), *line = text;
	unsigned major = 0, minor = 0;
	int appendix = 0;

	while (line && *line) {
		char *next = strchr(line, '\n'), *p = line;

		if (!strncmp(line, "[appendix]", 10))
			appendix = 1;
		if (!strncmp(line, "== ", 3) && !appendix) {
			major++;
			minor = 0;
		} else if (!strncmp(line, "=== ", 4) && !appendix) {
			minor++;
		}
		while ((p = strstr(p, "[[R-")) != NULL &&
		       (!next || p < next)) {
			char *end = strstr(p, "]]");
			struct rule *r;

			if (!end || nrules == MAX_RULES)
				break;
			r = &rules[nrules++];
			memset(r, 0, sizeof(*r));
			snprintf(r->id, sizeof(r->id), "%.*s", (int)(end - p - 2),
				 p + 2);
			if (minor)
				snprintf(r->section, sizeof(r->section), "§%u.%u",
					 major, minor);
			else
				snprintf(r->section, sizeof(r->section), "§%u",
					 major);
			rule_text(end + 2, r->text, sizeof(r->text));
			p = end;
		}
		line = next ? next + 1 : NULL;
	}
	free(text);
}

static int note_uses(const char *vector_id, const char *list)
{
	char buf[256], *save = NULL;
	int bad = 0;

	snprintf(buf, sizeof(buf), "%s", list);
	for (char *t = strtok_r(buf, " ", &save); t;
	     t = strtok_r(NULL, " ", &save)) {
		struct rule *r = find_rule(t);

		if (!r) {
			fprintf(stderr, "frc-gen-vectors: %s names %s, which "
					"SPEC.adoc does not define\n",
				vector_id, t);
			bad = 1;
		} else if (r->nuses < MAX_USES) {
			r->uses[r->nuses++] = strdup(vector_id);
		}
	}
	return bad;
}

static void emit_rules(yaml_emitter_t *e, const char *list)
{
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	y_str(e, "rules");
	y_seq(e, 1, 1);
	for (char *t = strtok_r(buf, " ", &save); t;
	     t = strtok_r(NULL, " ", &save))
		y_str(e, t);
	y_seq(e, 0, 1);
}

/* ---- one vector ---- */

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0)
		die("cannot write", path);
}

static const char *expectation(const struct recipe *rc)
{
	if (rc->error)
		return "reject";
	return rc->expect ? rc->expect : "accept";
}

static int make_vector(yaml_emitter_t *e, const char *outdir,
		       const struct set *set, const struct recipe *rc)
{
	char id[64], rel[256], path[1024], hex[65], version[16], made[128];
	struct vb_file f;
	int bad;

	snprintf(id, sizeof(id), "v1-%s-%03u", set->name, rc->num);
	snprintf(rel, sizeof(rel), "%s/%03u-%s.frc", set->name, rc->num,
		 rc->name);
	snprintf(path, sizeof(path), "%s/v1/%s", outdir, rel);
	vb_init(&f, set->base + rc->num);
	rc->build(&f);
	write_file(path, f.buf, f.size);
	digest_buffer(f.buf, f.size, hex);
	snprintf(version, sizeof(version), "%u.%u", f.major, f.minor);
	snprintf(made, sizeof(made), "%s, recipe %s/%s", GENERATOR_NAME,
		 set->name, rc->name);
	bad = note_uses(id, rc->rules);

	y_map(e, 1, 0);
	y_str(e, "id");
	y_qstr(e, id, strlen(id));
	y_kv(e, "path", rel);
	y_kv(e, "description", rc->descr);
	y_kv(e, "spec", rc->spec);
	emit_rules(e, rc->rules);
	y_kv(e, "expect", expectation(rc));
	if (rc->error)
		y_kv(e, "error", rc->error);
	if (rc->applies_below) {
		y_str(e, "applies_below");
		y_qstr(e, rc->applies_below, strlen(rc->applies_below));
	}
	y_str(e, "size");
	y_uint(e, f.size);
	y_str(e, "sha256");
	y_qstr(e, hex, 64);
	y_str(e, "version");
	y_qstr(e, version, strlen(version));
	y_str(e, "features");
	y_map(e, 1, 1);
	emit_bits(e, "incompat", f.incompat);
	emit_bits(e, "ro_compat", f.ro_compat);
	emit_bits(e, "compat", f.compat);
	y_map(e, 0, 1);
	y_kv(e, "made_by", made);
	if (!rc->error)
		emit_contents(e, &f);
	y_map(e, 0, 0);
	vb_free(&f);
	return bad;
}

static void y_document(yaml_emitter_t *e, int start)
{
	yaml_event_t ev;

	if (start) {
		yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
		emit(e, &ev);
		yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 0);
	} else {
		yaml_document_end_event_initialize(&ev, 1);
		emit(e, &ev);
		yaml_stream_end_event_initialize(&ev);
	}
	emit(e, &ev);
}

static int make_set(const char *outdir, const struct set *set)
{
	char path[1024];
	yaml_emitter_t e;
	FILE *out;
	int bad = 0;

	snprintf(path, sizeof(path), "%s/v1/%s", outdir, set->name);
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		die("cannot create", path);
	snprintf(path, sizeof(path), "%s/v1/%s.yaml", outdir, set->name);
	out = fopen(path, "w");
	if (!out)
		die("cannot create", path);
	fprintf(out, "# FRC format 1 test vectors, set '%s'.\n"
		     "# Generated by %s; never edit. See testvectors/README.md.\n",
		set->name, GENERATOR_NAME);
	yaml_emitter_initialize(&e);
	yaml_emitter_set_output_file(&e, out);
	yaml_emitter_set_unicode(&e, 1);
	yaml_emitter_set_width(&e, 78);
	y_document(&e, 1);
	y_map(&e, 1, 0);
	y_kv(&e, "schema", "frc-testvectors/1");
	y_kv(&e, "set", set->name);
	y_str(&e, "format_version");
	y_qstr(&e, "1.0", 3);
	y_kv(&e, "generator", GENERATOR_NAME);
	y_str(&e, "vectors");
	y_seq(&e, 1, 0);
	for (const struct recipe *rc = set->recipes; rc->name; rc++)
		bad |= make_vector(&e, outdir, set, rc);
	y_seq(&e, 0, 0);
	y_map(&e, 0, 0);
	y_document(&e, 0);
	yaml_emitter_delete(&e);
	if (fclose(out) != 0)
		die("cannot write", path);
	return bad;
}

/* COVERAGE.md: every requirement and its vectors; fails if one has none. */
static int write_coverage(const char *outdir)
{
	char path[1024];
	FILE *out;
	int bad = 0;

	snprintf(path, sizeof(path), "%s/v1/COVERAGE.md", outdir);
	out = fopen(path, "w");
	if (!out)
		die("cannot create", path);
	fprintf(out, "# Requirements of SPEC.adoc and the vectors that "
		     "exercise them\n\n"
		     "Generated by %s from the `[[R-...]]` anchors of SPEC.adoc "
		     "and the `rules` of the manifests; never edit.\n\n"
		     "| requirement | SPEC | text | vectors |\n"
		     "|---|---|---|---|\n", GENERATOR_NAME);
	for (unsigned i = 0; i < nrules; i++) {
		struct rule *r = &rules[i];

		fprintf(out, "| %s | %s | %s | ", r->id, r->section, r->text);
		for (unsigned k = 0; k < r->nuses; k++) {
			fprintf(out, "%s%s", k ? ", " : "", r->uses[k]);
			free(r->uses[k]);
		}
		fprintf(out, " |\n");
		if (!r->nuses) {
			fprintf(stderr, "frc-gen-vectors: requirement %s (%s) "
					"has no vector\n", r->id, r->section);
			bad = 1;
		}
	}
	if (fclose(out) != 0)
		die("cannot write", path);
	return bad;
}

int main(int argc, char **argv)
{
	const char *spec = "SPEC.adoc", *outdir;
	char path[1024];
	int bad = 0;

	if (argc == 4 && !strcmp(argv[1], "--spec")) {
		spec = argv[2];
		outdir = argv[3];
	} else if (argc == 2 && argv[1][0] != '-') {
		outdir = argv[1];
	} else {
		fprintf(stderr, "usage: frc-gen-vectors [--spec SPEC.adoc] "
				"OUTDIR\n");
		return 2;
	}
	load_rules(spec);
	if (!nrules)
		die("no [[R-...]] requirement anchors in", spec);
	snprintf(path, sizeof(path), "%s/v1", outdir);
	if (mkdir(outdir, 0755) != 0 && errno != EEXIST)
		die("cannot create", outdir);
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		die("cannot create", path);
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
		bad |= make_set(outdir, &sets[i]);
	bad |= write_coverage(outdir);
	return bad ? 1 : 0;
}
