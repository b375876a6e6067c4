/* SPDX-License-Identifier: GPL-2.0 */
/* ztbondctl zt: the zerotier-one processes behind a bond (zt.c). */
#ifndef ZTBONDCTL_ZT_H
#define ZTBONDCTL_ZT_H

#include <stdio.h>

/* "zt" and what follows it; returns the exit status. */
int ztb_zt_main(int argc, char **argv);
void ztb_zt_usage(FILE *f);

#endif /* ZTBONDCTL_ZT_H */
