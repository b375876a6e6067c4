/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ztbondctl: ZeroTier local.conf "settings" (JSON) for ztbond.
 *
 *   config check FILE [--allow-comments]
 *   config apply NAME FILE [--allow-comments]
 *   config dump NAME
 *
 * FILE may be "-" for standard input.
 */
#ifndef ZTBONDCTL_CONFIG_H
#define ZTBONDCTL_CONFIG_H

/* Run "config CMD ARGS..."; returns the exit status. */
int ztb_config_cmd(const char *cmd, int argc, char **argv);

#endif /* ZTBONDCTL_CONFIG_H */
