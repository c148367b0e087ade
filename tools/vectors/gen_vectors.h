/*
 * gen_vectors.h - the recipes of the test vectors (gen_recipes.c) and what
 * the generator (gen_vectors.c) needs to know about each.
 */
#ifndef FRC_GEN_VECTORS_H
#define FRC_GEN_VECTORS_H

#include "vecbuild.h"

struct recipe {
	unsigned num;       /* stable number within its set; never reused */
	const char *name;   /* file name: NNN-name.frc */
	const char *descr;  /* one line for the manifest */
	const char *spec;   /* the SPEC sections it exercises */
	const char *rules;  /* the SPEC requirement ids, space-separated */
	void (*build)(struct vb_file *f);
	const char *error;  /* error class when the vector is rejected */
	const char *expect; /* NULL: "reject" with error, else "accept" */
	/* future set only: the vector is the view of readers that implement
	 * only minor versions below this one (NULL: every reader) */
	const char *applies_below;
};

/* Two regions, a device-state section and metadata: the usual victim
 * (gen_recipes.c). */
void recipe_base_model(struct vb_file *f);

extern const struct recipe valid_recipes[];
extern const struct recipe invalid_recipes[];
extern const struct recipe future_recipes[];

#endif /* FRC_GEN_VECTORS_H */
