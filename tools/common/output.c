/*
 * output.c - JSON and YAML report writers (see output.h). JSON reports are
 * built as a json-c tree and printed whole when finished; YAML is emitted
 * event by event through libyaml.
 */
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include <yaml.h>

#include "output.h"

#define MAX_DEPTH 32

struct out {
	enum out_format format;
	FILE *fp;
	yaml_emitter_t emitter;
	int depth;
	char kind[MAX_DEPTH]; /* 'm' map or 'l' list, per open level */
	/* JSON: the tree, printed whole by out_finish */
	json_object *root;
	json_object *node[MAX_DEPTH]; /* the open map or list, per level */
	int failed; /* json-c ran out of memory */
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

/* ---- JSON (json-c) ---- */

/*
 * Adds v to the open map (under key) or list, or makes it the root; v is
 * taken over. v NULL is JSON's null when `null` is set, else a failed
 * allocation. After a failure nothing more is added (out_finish says so).
 */
static void json_add(struct out *o, const char *key, json_object *v,
		     int null)
{
	json_object *parent = o->depth > 0 ? o->node[o->depth - 1] : NULL;
	int bad;

	if (o->failed || (!v && !null)) {
		json_object_put(v);
		o->failed = 1;
		return;
	}
	if (!parent) {
		o->root = v;
		return;
	}
	if (o->kind[o->depth - 1] == 'm')
		bad = json_object_object_add(parent, key ? key : "", v);
	else
		bad = json_object_array_add(parent, v);
	if (bad) {
		json_object_put(v);
		o->failed = 1;
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
		json_object *v = kind == 'm' ? json_object_new_object()
					     : json_object_new_array();

		json_add(o, key, v, 0);
		o->node[o->depth] = o->failed ? NULL : v;
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
	if (o->format == OUT_JSON)
		return;
	if (kind == 'm')
		yaml_mapping_end_event_initialize(&ev);
	else
		yaml_sequence_end_event_initialize(&ev);
	yaml_emit(o, &ev);
}

static void yaml_member(struct out *o, const char *key, const char *text,
			int is_string)
{
	yaml_key(o, key);
	yaml_scalar(o, text, !is_string);
}

void out_str(struct out *o, const char *key, const char *v)
{
	if (!v)
		out_null(o, key);
	else if (o->format == OUT_JSON)
		json_add(o, key, json_object_new_string(v), 0);
	else
		yaml_member(o, key, v, 1);
}

void out_uint(struct out *o, const char *key, uint64_t v)
{
	char buf[24];

	if (o->format == OUT_JSON) {
		json_add(o, key, json_object_new_uint64(v), 0);
		return;
	}
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	yaml_member(o, key, buf, 0);
}

void out_real(struct out *o, const char *key, double v, int decimals)
{
	char buf[64];

	if (v != v || v - v != 0) { /* NaN or infinite: no JSON number */
		out_null(o, key);
		return;
	}
	snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	if (o->format == OUT_JSON)
		json_add(o, key, json_object_new_double_s(v, buf), 0);
	else
		yaml_member(o, key, buf, 0);
}

void out_bool(struct out *o, const char *key, int v)
{
	if (o->format == OUT_JSON)
		json_add(o, key, json_object_new_boolean(v != 0), 0);
	else
		yaml_member(o, key, v ? "true" : "false", 0);
}

void out_null(struct out *o, const char *key)
{
	if (o->format == OUT_JSON)
		json_add(o, key, NULL, 1);
	else
		yaml_member(o, key, "null", 0);
}

void out_finish(struct out *o)
{
	yaml_event_t ev;

	if (!o)
		return;
	while (o->depth > 0)
		out_end(o);
	if (o->format == OUT_JSON) {
		const char *text = o->failed ? NULL
			: json_object_to_json_string_ext(
				  o->root, JSON_C_TO_STRING_PRETTY |
						   JSON_C_TO_STRING_SPACED |
						   JSON_C_TO_STRING_NOSLASHESCAPE);

		if (text)
			fprintf(o->fp, "%s\n", text);
		else
			fputs("frc: out of memory writing the JSON report\n",
			      stderr);
		json_object_put(o->root);
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
