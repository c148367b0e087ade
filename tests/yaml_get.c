/*
 * yaml_get.c - prints one value of a YAML document, for the CLI tests:
 *   yaml_get FILE PATH      PATH like regions.0.id or metadata.hypervisor
 * A scalar prints as is, a list or map prints its length. Exit 1 when the
 * path does not exist or the file is not valid YAML.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

static yaml_node_t *step(yaml_document_t *d, yaml_node_t *n, const char *key)
{
	char *end;
	long i = strtol(key, &end, 10);

	if (n->type == YAML_SEQUENCE_NODE && !*end && i >= 0 &&
	    i < n->data.sequence.items.top - n->data.sequence.items.start)
		return yaml_document_get_node(d, n->data.sequence.items.start[i]);
	if (n->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(d, p->key);

		if (k->type == YAML_SCALAR_NODE &&
		    strlen(key) == k->data.scalar.length &&
		    !memcmp(key, k->data.scalar.value, k->data.scalar.length))
			return yaml_document_get_node(d, p->value);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	FILE *f = argc == 3 ? fopen(argv[1], "rb") : NULL;
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *n;
	char *path, *key, *save = NULL;

	if (!f)
		return 2;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc) ||
	    !(n = yaml_document_get_root_node(&doc)))
		return 1;
	path = strdup(argv[2]);
	for (key = strtok_r(path, ".", &save); key && n;
	     key = strtok_r(NULL, ".", &save))
		n = step(&doc, n, key);
	free(path);
	if (!n) {
		yaml_document_delete(&doc);
		yaml_parser_delete(&parser);
		fclose(f);
		return 1;
	}
	if (n->type == YAML_SCALAR_NODE)
		printf("%.*s\n", (int)n->data.scalar.length, n->data.scalar.value);
	else if (n->type == YAML_SEQUENCE_NODE)
		printf("%ld\n", (long)(n->data.sequence.items.top -
				       n->data.sequence.items.start));
	else
		printf("%ld\n", (long)(n->data.mapping.pairs.top -
				       n->data.mapping.pairs.start));
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(f);
	return 0;
}
