/*
 * gen_identity.h - recipes of the format 1.3 vectors (gen_identity.c).
 */
#ifndef FRC_GEN_IDENTITY_H
#define FRC_GEN_IDENTITY_H

#include "vecbuild.h"

void v_dg_basic(struct vb_file *f);
void v_dg_signed(struct vb_file *f);
void v_dg_compressed(struct vb_file *f);
void v_dg_tall(struct vb_file *f);
void v_dg_wide(struct vb_file *f);
void v_dg_empty(struct vb_file *f);
void v_dg_sig_unknown_algo(struct vb_file *f);
void v_dg_covered_flags(struct vb_file *f);
void i_dg_bit_without_section(struct vb_file *f);
void i_dg_section_without_bit(struct vb_file *f);
void i_dg_two_sections(struct vb_file *f);
void i_sg_without_digests(struct vb_file *f);
void i_sg_length(struct vb_file *f);
void i_sg_magic(struct vb_file *f);
void i_sg_reserved(struct vb_file *f);
void i_dg_magic(struct vb_file *f);
void i_dg_algorithm(struct vb_file *f);
void i_dg_fanout(struct vb_file *f);
void i_dg_reserved10(struct vb_file *f);
void i_dg_reserved31(struct vb_file *f);
void i_dg_region_count(struct vb_file *f);
void i_dg_section_count(struct vb_file *f);
void i_dg_length_long(struct vb_file *f);
void i_dg_length_short(struct vb_file *f);
void i_dg_tiny(struct vb_file *f);
void i_dg_root(struct vb_file *f);
void i_dg_region_root(struct vb_file *f);
void i_dg_empty_region_root(struct vb_file *f);
void i_dg_order_region_count_root(struct vb_file *f);
void i_dg_leaf_first(struct vb_file *f);
void i_dg_leaf_middle(struct vb_file *f);
void i_dg_leaf_last(struct vb_file *f);
void i_dg_leaf_absent(struct vb_file *f);
void i_dg_leaf_seed(struct vb_file *f);
void i_dg_leaf_compressed(struct vb_file *f);
void i_dg_node_first(struct vb_file *f);
void i_dg_node_middle(struct vb_file *f);
void i_dg_node_last(struct vb_file *f);
void i_dg_node_top(struct vb_file *f);
void i_dg_node_level1(struct vb_file *f);
void i_dg_sect_first(struct vb_file *f);
void i_dg_sect_last(struct vb_file *f);
void i_dg_sect_flags(struct vb_file *f);
void i_dg_sect_name(struct vb_file *f);
void i_dg_order_leaf_before_csum(struct vb_file *f);
void i_dg_order_csum_before_leaf(struct vb_file *f);
void i_dg_order_page_before_section(struct vb_file *f);
void f_dg_seen_by_12(struct vb_file *f);

#endif /* FRC_GEN_IDENTITY_H */
