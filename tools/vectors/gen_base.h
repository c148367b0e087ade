/*
 * gen_base.h - recipes of the format 1.3 vectors of snapshots on a base
 * (gen_base.c).
 */
#ifndef FRC_GEN_BASE_H
#define FRC_GEN_BASE_H

#include "vecbuild.h"

void v_bs_base(struct vb_file *f);
void v_bs_top(struct vb_file *f);
void v_bs_second(struct vb_file *f);
void i_bs_deep17(struct vb_file *f);
void i_bs_missing(struct vb_file *f);
void i_bs_other_root(struct vb_file *f);
void i_bs_replaced(struct vb_file *f);
void i_bs_layout(struct vb_file *f);
void i_bs_self(struct vb_file *f);
void i_bs_cycle_x(struct vb_file *f);
void i_bs_cycle_y(struct vb_file *f);
void i_bs_no_digests(struct vb_file *f);
void i_bs_no_section(struct vb_file *f);
void i_bs_section_without_bit(struct vb_file *f);
void i_bs_map_both(struct vb_file *f);
void i_bs_map_both_last(struct vb_file *f);
void i_bs_map_padding(struct vb_file *f);
void i_bs_map_trailer(struct vb_file *f);
void i_bs_map_offset(struct vb_file *f);
void i_bs_magic(struct vb_file *f);
void i_bs_reserved(struct vb_file *f);
void i_bs_hint_long(struct vb_file *f);
void i_bs_length(struct vb_file *f);
void i_bs_two_sections(struct vb_file *f);
void i_bs_hint_utf8(struct vb_file *f);
void i_bs_region_count(struct vb_file *f);
void i_bs_page_leaf(struct vb_file *f);
void f_bs_seen_by_12(struct vb_file *f);
void v_bs_deep0(struct vb_file *f);
void v_bs_deep1(struct vb_file *f);
void v_bs_deep2(struct vb_file *f);
void v_bs_deep3(struct vb_file *f);
void v_bs_deep4(struct vb_file *f);
void v_bs_deep5(struct vb_file *f);
void v_bs_deep6(struct vb_file *f);
void v_bs_deep7(struct vb_file *f);
void v_bs_deep8(struct vb_file *f);
void v_bs_deep9(struct vb_file *f);
void v_bs_deep10(struct vb_file *f);
void v_bs_deep11(struct vb_file *f);
void v_bs_deep12(struct vb_file *f);
void v_bs_deep13(struct vb_file *f);
void v_bs_deep14(struct vb_file *f);
void v_bs_deep15(struct vb_file *f);
void v_bs_deep16(struct vb_file *f);

#endif /* FRC_GEN_BASE_H */
