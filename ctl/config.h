/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ztbondctl: ZeroTier local.conf "settings" (JSON) for ztbond.
 *
 *   config check FILE [--allow-comments]
 *   config apply NAME FILE [--allow-comments] [--network NWID]
 *   config dump NAME
 *
 * FILE may be "-" for standard input.
 */
#ifndef ZTBONDCTL_CONFIG_H
#define ZTBONDCTL_CONFIG_H

/* Run "config CMD ARGS..."; returns the exit status. */
int ztb_config_cmd(const char *cmd, int argc, char **argv);
/* zt up --config FILE: check it before anything starts (errors printed;
 * 1 on failure), apply it once the bond has its links. */
int ztb_config_check_file(const char *file);
/* network: the ZeroTier network id (16 hex digits) or NULL. */
int ztb_config_apply_file(const char *bond, const char *file,
			  const char *network);

#endif /* ZTBONDCTL_CONFIG_H */
