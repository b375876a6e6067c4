/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Names of the uapi enums, as ztbondctl prints and reads them, shared by
 * ztbondctl (keys.c) and the iproute2 plugin (ip/iplink_ztbond.c) so that
 * both tools say the same words.
 */
#ifndef ZTB_NAMES_H
#define ZTB_NAMES_H

#include <linux/ztbond.h>

static const char *const policy_names[] = {
	[ZTBOND_POLICY_NONE]		= "none",
	[ZTBOND_POLICY_ACTIVE_BACKUP]	= "active-backup",
	[ZTBOND_POLICY_BROADCAST]	= "broadcast",
	[ZTBOND_POLICY_BALANCE_RR]	= "balance-rr",
	[ZTBOND_POLICY_BALANCE_XOR]	= "balance-xor",
	[ZTBOND_POLICY_BALANCE_AWARE]	= "balance-aware",
};

static const char *const select_names[] = {
	[ZTBOND_SELECT_ALWAYS]		= "always",
	[ZTBOND_SELECT_BETTER]		= "better",
	[ZTBOND_SELECT_FAILURE]		= "failure",
	[ZTBOND_SELECT_OPTIMIZE]	= "optimize",
};

static const char *const balance_names[] = {
	[ZTBOND_BALANCE_FLOW_DYNAMIC]	= "flow-dynamic",
	[ZTBOND_BALANCE_FLOW_STATIC]	= "flow-static",
	[ZTBOND_BALANCE_PACKET]		= "packet",
};

static const char *const monitor_names[] = {
	[ZTBOND_MONITOR_PASSIVE]	= "passive",
	[ZTBOND_MONITOR_ACTIVE]		= "active",
	[ZTBOND_MONITOR_DYNAMIC]	= "dynamic",
};

static const char *const mode_names[] = {
	[ZTBOND_LINK_MODE_SPARE]	= "spare",
	[ZTBOND_LINK_MODE_PRIMARY]	= "primary",
};

static const char *const state_names[] = {
	[ZTBOND_LINK_STATE_DOWN]	= "down",
	[ZTBOND_LINK_STATE_UP]		= "up",
	[ZTBOND_LINK_STATE_DISABLED]	= "disabled",
	[ZTBOND_LINK_STATE_GOING_UP]	= "going-up",
	[ZTBOND_LINK_STATE_GOING_DOWN]	= "going-down",
	[ZTBOND_LINK_STATE_PUNISHED]	= "punished",
};

static const char *const event_names[] = {
	[ZTBOND_EVENT_UNSPEC]		= NULL,
	[ZTBOND_EVENT_BOND_NEW]		= "bond-new",
	[ZTBOND_EVENT_BOND_DEL]		= "bond-del",
	[ZTBOND_EVENT_BOND_CHANGE]	= "bond-change",
	[ZTBOND_EVENT_LINK_ADD]		= "link-add",
	[ZTBOND_EVENT_LINK_DEL]		= "link-del",
	[ZTBOND_EVENT_LINK_CHANGE]	= "link-change",
	[ZTBOND_EVENT_LINK_STATE]	= "link-state",
	[ZTBOND_EVENT_ACTIVE_CHANGE]	= "active-change",
	[ZTBOND_EVENT_CONFIG_APPLIED]	= "config-applied",
	[ZTBOND_EVENT_LINK_ELIGIBLE]	= "link-eligible",
	[ZTBOND_EVENT_LINK_PUNISHED]	= "link-punished",
	[ZTBOND_EVENT_LINK_READMITTED]	= "link-readmitted",
};

#endif /* ZTB_NAMES_H */
