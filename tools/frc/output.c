/*
 * output.c - JSON and YAML report writers (see output.h).
 */
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "output.h"

#define MAX_DEPTH 32

struct out {
	enum out_format format;
	FILE *fp;
	yaml_emitter_t emitter;
	int depth;
	char kind[MAX_DEPTH]; /* 'm' map or 'l' list, per open level */
	int count[MAX_DEPTH]; /* members written at that level */
};

int out_parse_format(const char *s, enum out_format *f)
{
	if (!strcmp(s, "human"))
		*f = OUT_HUMAN;
	else if (!strcmp(s, "json"))
		*f = OUT_JSON;
	else if (!strcmp(s, "yaml"))
		*f = OUT_YAML;
	else
		return -1;
	return 0;
}

/* ---- JSON ---- */

static void json_string(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(fp, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", fp);
		else if (*p == '\t')
			fputs("\\t", fp);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(fp, "\\u%04x", *p);
		else
			fputc(*p, fp);
	}
	fputc('"', fp);
}

/* Separator, indentation and key before a new member. */
static void json_member(struct out *o, const char *key)
{
	if (o->depth > 0) {
		fputs(o->count[o->depth - 1]++ ? ",\n" : "\n", o->fp);
		fprintf(o->fp, "%*s", 2 * o->depth, "");
	}
	if (key && o->depth > 0 && o->kind[o->depth - 1] == 'm') {
		json_string(o->fp, key);
		fputs(": ", o->fp);
	}
}

/* ---- YAML ---- */

static void yaml_emit(struct out *o, yaml_event_t *ev)
{
	yaml_emitter_emit(&o->emitter, ev);
}

static void yaml_scalar(struct out *o, const char *v, int plain)
{
	yaml_event_t ev;

	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)v,
				     (int)strlen(v), 1, 1,
				     plain ? YAML_PLAIN_SCALAR_STYLE
					   : YAML_DOUBLE_QUOTED_SCALAR_STYLE);
	yaml_emit(o, &ev);
}

static void yaml_key(struct out *o, const char *key)
{
	if (key && o->depth > 0 && o->kind[o->depth - 1] == 'm')
		yaml_scalar(o, key, 1);
}

/* ---- common ---- */

struct out *out_new(enum out_format f, FILE *fp)
{
	struct out *o = calloc(1, sizeof(*o));
	yaml_event_t ev;

	if (!o)
		return NULL;
	o->format = f;
	o->fp = fp;
	if (f == OUT_YAML) {
		yaml_emitter_initialize(&o->emitter);
		yaml_emitter_set_output_file(&o->emitter, fp);
		yaml_emitter_set_unicode(&o->emitter, 1);
		yaml_emitter_set_width(&o->emitter, -1);
		yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
		yaml_emit(o, &ev);
		yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 0);
		yaml_emit(o, &ev);
	}
	out_map(o, NULL);
	return o;
}

static void open_level(struct out *o, const char *key, char kind)
{
	yaml_event_t ev;

	if (o->depth >= MAX_DEPTH)
		abort();
	if (o->format == OUT_JSON) {
		json_member(o, key);
		fputc(kind == 'm' ? '{' : '[', o->fp);
	} else {
		yaml_key(o, key);
		if (kind == 'm')
			yaml_mapping_start_event_initialize(
				&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
		else
			yaml_sequence_start_event_initialize(
				&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
		yaml_emit(o, &ev);
	}
	o->kind[o->depth] = kind;
	o->count[o->depth] = 0;
	o->depth++;
}

void out_map(struct out *o, const char *key)
{
	open_level(o, key, 'm');
}

void out_list(struct out *o, const char *key)
{
	open_level(o, key, 'l');
}

void out_end(struct out *o)
{
	yaml_event_t ev;
	char kind;

	if (o->depth == 0)
		return;
	kind = o->kind[--o->depth];
	if (o->format == OUT_JSON) {
		if (o->count[o->depth])
			fprintf(o->fp, "\n%*s", 2 * o->depth, "");
		fputc(kind == 'm' ? '}' : ']', o->fp);
		return;
	}
	if (kind == 'm')
		yaml_mapping_end_event_initialize(&ev);
	else
		yaml_sequence_end_event_initialize(&ev);
	yaml_emit(o, &ev);
}

static void scalar(struct out *o, const char *key, const char *text,
		   int is_string)
{
	if (o->format == OUT_JSON) {
		json_member(o, key);
		if (is_string)
			json_string(o->fp, text);
		else
			fputs(text, o->fp);
		return;
	}
	yaml_key(o, key);
	yaml_scalar(o, text, !is_string);
}

void out_str(struct out *o, const char *key, const char *v)
{
	if (!v)
		out_null(o, key);
	else
		scalar(o, key, v, 1);
}

void out_uint(struct out *o, const char *key, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	scalar(o, key, buf, 0);
}

void out_bool(struct out *o, const char *key, int v)
{
	scalar(o, key, v ? "true" : "false", 0);
}

void out_null(struct out *o, const char *key)
{
	scalar(o, key, "null", 0);
}

void out_finish(struct out *o)
{
	yaml_event_t ev;

	if (!o)
		return;
	while (o->depth > 0)
		out_end(o);
	if (o->format == OUT_JSON) {
		fputc('\n', o->fp);
	} else {
		yaml_document_end_event_initialize(&ev, 1);
		yaml_emit(o, &ev);
		yaml_stream_end_event_initialize(&ev);
		yaml_emit(o, &ev);
		yaml_emitter_delete(&o->emitter);
	}
	fflush(o->fp);
	free(o);
}
