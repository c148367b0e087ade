/*
 * output.h - machine-readable reports of the frc command: one tree of maps,
 * lists and scalars, written as JSON (through json-c) or YAML (through
 * libyaml). The field names and types of each command are
 * documented in its man page and never change meaning.
 */
#ifndef FRC_OUTPUT_H
#define FRC_OUTPUT_H

#include <stdint.h>
#include <stdio.h>

enum out_format { OUT_HUMAN, OUT_JSON, OUT_YAML };

struct out;

/* Parses "human", "json" or "yaml"; returns 0 or -1. */
int out_parse_format(const char *s, enum out_format *f);

/* A report on fp in JSON or YAML; the root is a map. */
struct out *out_new(enum out_format f, FILE *fp);
/* Closes every open map and list, ends the document, frees o. */
void out_finish(struct out *o);

/* `key` names the member inside a map; it is NULL inside a list. */
void out_map(struct out *o, const char *key);
void out_list(struct out *o, const char *key);
void out_end(struct out *o);
void out_str(struct out *o, const char *key, const char *v);
void out_uint(struct out *o, const char *key, uint64_t v);
/* A number with `decimals` digits after the point (a JSON number, a plain
 * YAML scalar); null when v is not finite. */
void out_real(struct out *o, const char *key, double v, int decimals);
void out_bool(struct out *o, const char *key, int v);
void out_null(struct out *o, const char *key);

#endif /* FRC_OUTPUT_H */
