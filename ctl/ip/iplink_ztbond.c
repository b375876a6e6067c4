// SPDX-License-Identifier: GPL-2.0
/*
 * iproute2 plugin: "ip -d link show" of a ztbond and of its links.
 *
 * ip loads $IP_LIB_DIR/link_<kind>.so (default /usr/lib/<multiarch>/ip)
 * for a kind it does not know and looks up <kind>_link_util; a link of a
 * ztbond has the slave kind "ztbond_slave". Both live in this one object
 * (link_ztbond_slave.so is a symlink to it). It only prints: the bond is
 * configured with ztbondctl.
 *
 * iproute2 ships no headers, so the little of its ABI used here is
 * declared below: struct link_util (ip/ip_common.h, unchanged since
 * iproute2 4.x) and the json_print.h printers, which ip exports.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <linux/rtnetlink.h>
#include <linux/ztbond.h>

#include "../names.h"

struct nlmsghdr;

struct link_util {
	struct link_util *next;
	const char *id;
	int maxattr;
	int (*parse_opt)(struct link_util *, int, char **, struct nlmsghdr *);
	void (*print_opt)(struct link_util *, FILE *, struct rtattr *[]);
	void (*print_xstats)(struct link_util *, FILE *, struct rtattr *);
	void (*print_help)(struct link_util *, int, char **, FILE *);
	int (*parse_ifla_xstats)(struct link_util *, int, char **);
	int (*print_ifla_xstats)(struct nlmsghdr *, void *);
};

enum output_type { PRINT_FP = 1, PRINT_JSON = 2, PRINT_ANY = 4 };
enum color_attr { COLOR_IFNAME, COLOR_MAC, COLOR_INET, COLOR_INET6,
		  COLOR_OPERSTATE_UP, COLOR_OPERSTATE_DOWN, COLOR_NONE };

void print_color_string(enum output_type t, enum color_attr c, const char *key,
			const char *fmt, const char *value);
void print_color_uint(enum output_type t, enum color_attr c, const char *key,
		      const char *fmt, unsigned int value);
void print_color_bool(enum output_type t, enum color_attr c, const char *key,
		      const char *fmt, bool value);
const char *ll_index_to_name(unsigned int idx);

#define ZTB_N(a)	(sizeof(a) / sizeof((a)[0]))

static const char *name_of(const char *const *names, size_t n, unsigned int v)
{
	return v < n && names[v] ? names[v] : "unknown";
}

static unsigned int get_u8(struct rtattr *a)
{
	return RTA_PAYLOAD(a) >= 1 ? *(const unsigned char *)RTA_DATA(a) : 0;
}

static unsigned int get_u32(struct rtattr *a)
{
	unsigned int v = 0;

	if (RTA_PAYLOAD(a) >= sizeof(v))
		memcpy(&v, RTA_DATA(a), sizeof(v));
	return v;
}

static void ztbond_print_opt(struct link_util *lu, FILE *f, struct rtattr *tb[])
{
	struct rtattr *a;
	unsigned int v;

	(void)lu;
	(void)f;
	if (!tb)
		return;
	a = tb[IFLA_ZTBOND_POLICY];
	if (a)
		print_color_string(PRINT_ANY, COLOR_NONE, "policy", "policy %s ",
				   name_of(policy_names, ZTB_N(policy_names),
					   get_u8(a)));
	a = tb[IFLA_ZTBOND_POLICY_NAME];
	if (a && RTA_PAYLOAD(a) > 1 &&
	    ((const char *)RTA_DATA(a))[RTA_PAYLOAD(a) - 1] == '\0')
		print_color_string(PRINT_ANY, COLOR_NONE, "policy_name",
				   "policy_name %s ", RTA_DATA(a));
	a = tb[IFLA_ZTBOND_ACTIVE_LINK];
	if (a) {
		v = get_u32(a);
		print_color_string(PRINT_ANY, COLOR_NONE, "active_link",
				   "active_link %s ",
				   v ? ll_index_to_name(v) : "none");
	}
	a = tb[IFLA_ZTBOND_LINKS];
	if (a)
		print_color_uint(PRINT_ANY, COLOR_NONE, "links", "links %u ",
				 get_u32(a));
	a = tb[IFLA_ZTBOND_FAILOVER_INTERVAL];
	if (a)
		print_color_uint(PRINT_ANY, COLOR_NONE, "failover_interval",
				 "failoverInterval %ums ", get_u32(a));
	a = tb[IFLA_ZTBOND_LINK_SELECT];
	if (a)
		print_color_string(PRINT_ANY, COLOR_NONE, "link_select",
				   "linkSelectMethod %s ",
				   name_of(select_names, ZTB_N(select_names),
					   get_u8(a)));
	a = tb[IFLA_ZTBOND_AUTH];
	if (a)
		print_color_string(PRINT_ANY, COLOR_NONE, "auth", "auth %s ",
				   get_u8(a) ? "on" : "off");
}

static void ztbond_slave_print_opt(struct link_util *lu, FILE *f,
				   struct rtattr *tb[])
{
	struct rtattr *a;

	(void)lu;
	(void)f;
	if (!tb)
		return;
	a = tb[IFLA_ZTBOND_SLAVE_STATE];
	if (a)
		print_color_string(PRINT_ANY, COLOR_NONE, "state", "state %s ",
				   name_of(state_names, ZTB_N(state_names),
					   get_u8(a)));
	a = tb[IFLA_ZTBOND_SLAVE_MODE];
	if (a)
		print_color_string(PRINT_ANY, COLOR_NONE, "mode", "mode %s ",
				   name_of(mode_names, ZTB_N(mode_names),
					   get_u8(a)));
	a = tb[IFLA_ZTBOND_SLAVE_ACTIVE];
	if (a)
		print_color_bool(PRINT_ANY, COLOR_NONE, "active", "active %s ",
				 get_u8(a));
	a = tb[IFLA_ZTBOND_SLAVE_ELIGIBLE];
	if (a)
		print_color_bool(PRINT_ANY, COLOR_NONE, "eligible",
				 "eligible %s ", get_u8(a));
	a = tb[IFLA_ZTBOND_SLAVE_QUALITY];
	if (a)
		print_color_uint(PRINT_ANY, COLOR_NONE, "quality_ppm",
				 "quality_ppm %u ", get_u32(a));
	a = tb[IFLA_ZTBOND_SLAVE_PUNISHED_MS];
	if (a)
		print_color_uint(PRINT_ANY, COLOR_NONE, "punished_ms",
				 "punished %ums ", get_u32(a));
	a = tb[IFLA_ZTBOND_SLAVE_FAILURES];
	if (a)
		print_color_uint(PRINT_ANY, COLOR_NONE, "failures",
				 "failures %u ", get_u32(a));
}

static void ztbond_print_help(struct link_util *lu, int argc, char **argv,
			      FILE *f)
{
	(void)lu;
	(void)argc;
	(void)argv;
	fprintf(f, "Usage: ... ztbond\n"
		   "ztbond links and parameters are set with ztbondctl(8).\n");
}

/* Looked up by name by ip's get_link_kind(). */
extern struct link_util ztbond_link_util, ztbond_slave_link_util;

struct link_util ztbond_link_util = {
	.id		= "ztbond",
	.maxattr	= IFLA_ZTBOND_MAX,
	.print_opt	= ztbond_print_opt,
	.print_help	= ztbond_print_help,
};

struct link_util ztbond_slave_link_util = {
	.id		= "ztbond_slave",
	.maxattr	= IFLA_ZTBOND_SLAVE_MAX,
	.print_opt	= ztbond_slave_print_opt,
	.print_help	= ztbond_print_help,
};
