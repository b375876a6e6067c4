// SPDX-License-Identifier: GPL-2.0
/*
 * ztbondctl: the KEY VALUE vocabulary.
 *
 * Key names are ZeroTier's local.conf "settings" keys (with the spelling
 * ZeroTier's code reads accepted as an alias). Every value is checked
 * completely here, so a bad command line never reaches the kernel.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ztbondctl.h"

#define ZTB_ENUM(arr)	{ .names = arr, .n = ZTB_ARRAY_SIZE(arr) }

#include "names.h"

/* A new kernel enum value must get a name in names.h before it is shown. */
_Static_assert(ZTB_ARRAY_SIZE(policy_names) == __ZTBOND_POLICY_MAX, "policy");
_Static_assert(ZTB_ARRAY_SIZE(select_names) == __ZTBOND_SELECT_MAX, "select");
_Static_assert(ZTB_ARRAY_SIZE(balance_names) == __ZTBOND_BALANCE_MAX, "bal");
_Static_assert(ZTB_ARRAY_SIZE(monitor_names) == __ZTBOND_MONITOR_MAX, "mon");
_Static_assert(ZTB_ARRAY_SIZE(mode_names) == __ZTBOND_LINK_MODE_MAX, "mode");
_Static_assert(ZTB_ARRAY_SIZE(state_names) == __ZTBOND_LINK_STATE_MAX, "st");
_Static_assert(ZTB_ARRAY_SIZE(event_names) == __ZTBOND_EVENT_MAX, "event");
_Static_assert(sizeof(((struct ztb_val *)0)->s) >= ZTBOND_AUTH_KEY_LEN, "key");

const struct ztb_enum ztb_policy_names = ZTB_ENUM(policy_names);
const struct ztb_enum ztb_select_names = ZTB_ENUM(select_names);
const struct ztb_enum ztb_balance_names = ZTB_ENUM(balance_names);
const struct ztb_enum ztb_monitor_names = ZTB_ENUM(monitor_names);
const struct ztb_enum ztb_mode_names = ZTB_ENUM(mode_names);
const struct ztb_enum ztb_state_names = ZTB_ENUM(state_names);
const struct ztb_enum ztb_event_names = ZTB_ENUM(event_names);

const char *ztb_enum_str(const struct ztb_enum *e, uint64_t v,
			 char *buf, size_t len)
{
	if (v < e->n && e->names[v])
		return e->names[v];
	snprintf(buf, len, "unknown(%llu)", (unsigned long long)v);
	return buf;
}

static const struct ztb_key bond_keys[] = {
	{
		.name = "policy", .attr = ZTBOND_A_POLICY,
		.kind = ZTB_K_POLICY, .e = &ztb_policy_names,
		.def = ZTBOND_POLICY_NONE, .help = "bonding policy",
	}, {
		.name = "packetsPerLink", .attr = ZTBOND_A_PACKETS_PER_LINK,
		.kind = ZTB_K_U32, .min = 0, .max = ZTBOND_MAX_PACKETS_PER_LINK,
		.def = ZTBOND_DEF_PACKETS_PER_LINK,
		.help = "balance-rr: packets per link before moving on, 0 = random link per packet",
	}, {
		.name = "failoverInterval", .attr = ZTBOND_A_FAILOVER_INTERVAL,
		.kind = ZTB_K_U32, .min = ZTBOND_MIN_FAILOVER_INTERVAL_MS,
		.max = ZTBOND_MAX_INTERVAL_MS, .unit = "ms",
		.def = ZTBOND_DEF_FAILOVER_INTERVAL_MS,
		.help = "failure detection time, default for links",
	}, {
		.name = "upDelay", .attr = ZTBOND_A_UP_DELAY,
		.kind = ZTB_K_U32, .min = 0, .max = ZTBOND_MAX_INTERVAL_MS,
		.unit = "ms", .help = "wait before using a link that came up, default for links",
	}, {
		.name = "downDelay", .attr = ZTBOND_A_DOWN_DELAY,
		.kind = ZTB_K_U32, .min = 0, .max = ZTBOND_MAX_INTERVAL_MS,
		.unit = "ms", .help = "wait before dropping a link that went down, default for links",
	}, {
		.name = "linkSelectMethod", .alias = "activeReselect",
		.attr = ZTBOND_A_LINK_SELECT, .kind = ZTB_K_ENUM,
		.e = &ztb_select_names, .def = ZTBOND_SELECT_ALWAYS,
		.help = "active-backup: when to move back to a better link",
	}, {
		.name = "balancePolicy", .attr = ZTBOND_A_BALANCE_POLICY,
		.kind = ZTB_K_ENUM, .e = &ztb_balance_names,
		.def = ZTBOND_BALANCE_FLOW_DYNAMIC,
		.help = "balance-aware: flow-dynamic (rebalance), flow-static (move only on failure), packet",
	}, {
		.name = "flowTableSize", .attr = ZTBOND_A_FLOW_MAX,
		.kind = ZTB_K_U32, .min = ZTBOND_MIN_FLOW_MAX,
		.max = ZTBOND_MAX_FLOW_MAX, .def = ZTBOND_DEF_FLOW_MAX,
		.help = "balance-aware: flows tracked, a power of two",
	}, {
		.name = "flowExpiry", .attr = ZTBOND_A_FLOW_EXPIRE,
		.kind = ZTB_K_U32, .min = ZTBOND_MIN_FLOW_EXPIRE_MS,
		.max = ZTBOND_MAX_FLOW_EXPIRE_MS, .def = ZTBOND_FLOW_EXPIRE_MS,
		.unit = "ms", .help = "balance-aware: an idle flow forgets its link after this long",
	}, {
		.name = "monitorStrategy", .alias = "pathMonitorStrategy",
		.alias2 = "linkMonitorStrategy",
		.attr = ZTBOND_A_MONITOR, .kind = ZTB_K_ENUM,
		.e = &ztb_monitor_names, .def = ZTBOND_MONITOR_DYNAMIC,
		.help = "passive: HELLO only; active/dynamic: probe every failoverInterval/4",
	}, {
		.name = "punishBase", .attr = ZTBOND_A_PUNISH_BASE,
		.kind = ZTB_K_U32, .min = 0, .max = ZTBOND_MAX_INTERVAL_MS,
		.def = ZTBOND_DEF_PUNISH_BASE_MS,
		.unit = "ms", .help = "first punishment of a failed link, 0 = never punish",
	}, {
		.name = "punishMax", .attr = ZTBOND_A_PUNISH_MAX,
		.kind = ZTB_K_U32, .min = 0, .max = ZTBOND_MAX_INTERVAL_MS,
		.def = ZTBOND_DEF_PUNISH_MAX_MS,
		.unit = "ms", .help = "cap of a punishment",
	}, {
		.name = "dedup", .attr = ZTBOND_A_DEDUP,
		.kind = ZTB_K_BOOL, .def = 1,
		.help = "broadcast: drop the copies of a frame a ztbond peer sent on several links",
	}, {
		.name = "dataHeader", .attr = ZTBOND_A_DATA_HEADER,
		.kind = ZTB_K_BOOL, .def = 0,
		.help = "balance-rr: number frames for ztbond peers, which deliver them in order",
	}, {
		.name = "reorderTimeout", .attr = ZTBOND_A_REORDER_TIMEOUT,
		.kind = ZTB_K_U32, .min = 1, .max = ZTBOND_MAX_REORDER_TIMEOUT_MS,
		.def = ZTBOND_DEF_REORDER_TIMEOUT_MS,
		.unit = "ms", .help = "receive: the longest a frame waits for one that overtook it",
	}, {
		.name = "authKey", .attr = ZTBOND_A_AUTH_KEY,
		.kind = ZTB_K_KEY,
		.help = "SipHash key of control frames, 32 hex digits; none turns authentication off",
	},
	{ .name = NULL }
};

static const struct ztb_key link_keys[] = {
	{
		.name = "mode", .attr = ZTBOND_LINK_A_MODE,
		.kind = ZTB_K_ENUM, .e = &ztb_mode_names,
		.def = ZTBOND_LINK_MODE_SPARE,
		.help = "active-backup: primary links are preferred over spares",
	}, {
		.name = "failoverTo", .attr = ZTBOND_LINK_A_FAILOVER_TO,
		.kind = ZTB_K_IFNAME,
		.help = "active-backup: link to fail over to from this one",
	}, {
		.name = "enabled", .attr = ZTBOND_LINK_A_ENABLED,
		.kind = ZTB_K_BOOL, .def = 1,
		.help = "false keeps the link enslaved but unused",
	}, {
		.name = "ipvPref", .attr = ZTBOND_LINK_A_IPV_PREF,
		.kind = ZTB_K_IPVPREF, .help = "preferred IP versions of the path",
	}, {
		.name = "speed", .alias = "capacity", .attr = ZTBOND_LINK_A_SPEED,
		.kind = ZTB_K_U32, .min = 0, .max = ZTBOND_MAX_SPEED,
		.help = "relative capacity of the link",
	}, {
		.name = "alloc", .attr = ZTBOND_LINK_A_ALLOC,
		.kind = ZTB_K_PPM, .help = "fixed share of traffic, 0 = unset",
	}, {
		.name = "upDelay", .attr = ZTBOND_LINK_A_UP_DELAY,
		.kind = ZTB_K_U32, .min = 0, .max = ZTBOND_MAX_INTERVAL_MS,
		.inherit = true, .def = ZTBOND_INHERIT,
		.unit = "ms", .help = "wait before using the link once it is up",
	}, {
		.name = "downDelay", .attr = ZTBOND_LINK_A_DOWN_DELAY,
		.kind = ZTB_K_U32, .min = 0, .max = ZTBOND_MAX_INTERVAL_MS,
		.inherit = true, .def = ZTBOND_INHERIT,
		.unit = "ms", .help = "wait before dropping the link once it is down",
	}, {
		.name = "failoverInterval",
		.attr = ZTBOND_LINK_A_FAILOVER_INTERVAL, .kind = ZTB_K_U32,
		.inherit = true, .def = ZTBOND_INHERIT,
		.min = ZTBOND_MIN_FAILOVER_INTERVAL_MS,
		.max = ZTBOND_MAX_INTERVAL_MS, .unit = "ms",
		.help = "failure detection time of this link",
	},
	{ .name = NULL }
};

const struct ztb_keyset ztb_bond_keyset = {
	.what = "bond", .keys = bond_keys, .other = &ztb_link_keyset,
};

const struct ztb_keyset ztb_link_keyset = {
	.what = "link", .keys = link_keys, .other = &ztb_bond_keyset,
};

bool ztb_ifname_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= IFNAMSIZ)
		return false;
	if (!strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || isspace((unsigned char)*s))
			return false;
	return true;
}

int ztb_check_ifname(const char *s)
{
	if (ztb_ifname_valid(s))
		return 0;
	ztb_err("\"%s\" is not a valid interface name (" ZTB_IFNAME_RULE ")",
		s);
	return -1;
}

static void enum_list(const struct ztb_enum *e, char *buf,
		      size_t len)
{
	size_t off = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < e->n; i++) {
		if (!e->names[i])
			continue;
		off += snprintf(buf + off, off < len ? len - off : 0, "%s%s",
				off ? ", " : "", e->names[i]);
	}
}

const char *ztb_key_allowed(const struct ztb_key *k, char *buf, size_t len)
{
	switch (k->kind) {
	case ZTB_K_U32:
		snprintf(buf, len, "%u..%u%s%s%s", k->min, k->max,
			 k->unit ? " " : "", k->unit ? k->unit : "",
			 k->inherit ? ", or inherit" : "");
		break;
	case ZTB_K_ENUM:
	case ZTB_K_POLICY:
		enum_list(k->e, buf, len);
		break;
	case ZTB_K_BOOL:
		snprintf(buf, len, "true, false, 1, 0");
		break;
	case ZTB_K_IPVPREF:
		snprintf(buf, len, "0, 4, 6, 46, 64");
		break;
	case ZTB_K_PPM:
		snprintf(buf, len, "a fraction 0..1, e.g. 0.25");
		break;
	case ZTB_K_IFNAME:
		snprintf(buf, len, "an interface name, or none");
		break;
	case ZTB_K_KEY:
		snprintf(buf, len, "32 hex digits, or none");
		break;
	}
	return buf;
}

/* 0, -EINVAL (not a decimal number), -ERANGE (does not fit in u32). */
static int parse_u32(const char *s, uint32_t *out)
{
	unsigned long long v;
	const char *p = s;
	char *end;

	if (*p == '-')
		p++;
	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; *p; p++)
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
	if (*s == '-')
		return -ERANGE;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v > UINT32_MAX)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

/* A plain decimal fraction: digits with at most one '.', no sign/exp/hex. */
static int parse_fraction(const char *s, double *out)
{
	bool dot = false, digit = false;
	const char *p = s;
	char *end;
	double v;

	if (*p == '-')
		p++;
	for (; *p; p++) {
		if (isdigit((unsigned char)*p))
			digit = true;
		else if (*p == '.' && !dot)
			dot = true;
		else
			return -EINVAL;
	}
	if (!digit)
		return -EINVAL;
	/* "-0" too: a sign is out of range, as for the integers */
	if (*s == '-')
		return -ERANGE;
	errno = 0;
	v = strtod(s, &end);
	if (*end || errno == ERANGE || !isfinite(v))
		return -ERANGE;
	*out = v;
	return 0;
}

static int parse_value(const struct ztb_key *k, const char *word,
		       const char *s, struct ztb_val *v)
{
	char allowed[128];
	unsigned int i;
	double d;
	int err;

	ztb_key_allowed(k, allowed, sizeof(allowed));
	v->key = k;

	switch (k->kind) {
	case ZTB_K_U32:
		if (k->inherit && !strcmp(s, "inherit")) {
			v->u = ZTBOND_INHERIT;
			return 0;
		}
		err = parse_u32(s, &v->u);
		if (err == -EINVAL) {
			ztb_err("%s: \"%s\" is not a number (%s)", word, s,
				allowed);
			return -1;
		}
		if (err || v->u < k->min || v->u > k->max) {
			ztb_err("%s: \"%s\" is out of range (%s)", word, s,
				allowed);
			return -1;
		}
		return 0;
	case ZTB_K_POLICY:
	case ZTB_K_ENUM:
		for (i = 0; i < k->e->n; i++) {
			if (k->e->names[i] && !strcmp(s, k->e->names[i])) {
				v->u = i;
				return 0;
			}
		}
		break;
	case ZTB_K_BOOL:
		if (!strcmp(s, "true") || !strcmp(s, "1")) {
			v->u = 1;
			return 0;
		}
		if (!strcmp(s, "false") || !strcmp(s, "0")) {
			v->u = 0;
			return 0;
		}
		break;
	case ZTB_K_IPVPREF:
		if (!parse_u32(s, &v->u) &&
		    (v->u == ZTBOND_IPVPREF_ANY || v->u == ZTBOND_IPVPREF_4 ||
		     v->u == ZTBOND_IPVPREF_6 || v->u == ZTBOND_IPVPREF_46 ||
		     v->u == ZTBOND_IPVPREF_64))
			return 0;
		break;
	case ZTB_K_PPM:
		err = parse_fraction(s, &d);
		if (err == -EINVAL) {
			ztb_err("%s: \"%s\" is not a fraction (%s)", word, s,
				allowed);
			return -1;
		}
		if (err || d < 0.0 || d > 1.0) {
			ztb_err("%s: \"%s\" is out of range (%s)", word, s,
				allowed);
			return -1;
		}
		v->u = (uint32_t)llround(d * ZTBOND_PPM);
		return 0;
	case ZTB_K_IFNAME:
		if (!*s || !strcmp(s, "none")) {
			v->s[0] = '\0';
			return 0;
		}
		if (ztb_ifname_valid(s)) {
			snprintf(v->s, sizeof(v->s), "%s", s);
			return 0;
		}
		ztb_err("%s: \"%s\" is not a valid interface name ("
			ZTB_IFNAME_RULE "; none clears)", word, s);
		return -1;
	case ZTB_K_KEY:
		if (!strcmp(s, "none")) {
			v->u = 0;
			return 0;
		}
		if (strlen(s) != 2 * ZTBOND_AUTH_KEY_LEN)
			break;
		for (i = 0; i < ZTBOND_AUTH_KEY_LEN; i++) {
			unsigned int b;

			if (!isxdigit((unsigned char)s[2 * i]) ||
			    !isxdigit((unsigned char)s[2 * i + 1]) ||
			    sscanf(s + 2 * i, "%2x", &b) != 1)
				goto bad;
			v->s[i] = (char)b;
		}
		v->u = ZTBOND_AUTH_KEY_LEN;
		return 0;
	}
bad:
	ztb_err("%s: \"%s\" is not one of %s", word, s, allowed);
	return -1;
}

static const struct ztb_key *find_key(const struct ztb_key *keys,
				      const char *word)
{
	const struct ztb_key *k;

	for (k = keys; k->name; k++)
		if (!strcmp(word, k->name) ||
		    (k->alias && !strcmp(word, k->alias)) ||
		    (k->alias2 && !strcmp(word, k->alias2)))
			return k;
	return NULL;
}

const struct ztb_key *ztb_find_key(const struct ztb_keyset *ks,
				   const char *word)
{
	return find_key(ks->keys, word);
}

static void key_list(const struct ztb_key *keys, char *buf, size_t len)
{
	const struct ztb_key *k;
	size_t off = 0;

	buf[0] = '\0';
	for (k = keys; k->name; k++)
		off += snprintf(buf + off, off < len ? len - off : 0, "%s%s",
				off ? ", " : "", k->name);
}

const char *ztb_key_name_by_attr(const struct ztb_keyset *ks, int attr)
{
	const struct ztb_key *k;

	for (k = ks->keys; k->name; k++)
		if (k->attr == attr)
			return k->name;
	return NULL;
}

int ztb_parse_kv(const struct ztb_keyset *ks, int argc, char **argv,
		 struct ztb_kvlist *out)
{
	char list[256];
	int i;

	out->n = 0;
	for (i = 0; i < argc; i += 2) {
		const struct ztb_key *k = find_key(ks->keys, argv[i]);
		unsigned int j;

		if (!k) {
			key_list(ks->keys, list, sizeof(list));
			if (ks->other && find_key(ks->other->keys, argv[i]))
				ztb_err("\"%s\" is a %s key, not a %s key (%s)",
					argv[i], ks->other->what, ks->what,
					list);
			else
				ztb_err("\"%s\" is not a %s key (%s)", argv[i],
					ks->what, list);
			return -1;
		}
		for (j = 0; j < out->n; j++) {
			if (out->v[j].key == k) {
				ztb_err("%s: given more than once", k->name);
				return -1;
			}
		}
		if (i + 1 >= argc) {
			ztb_err("%s: missing value (%s)", argv[i],
				ztb_key_allowed(k, list, sizeof(list)));
			return -1;
		}
		/* Every key appears at most once, so this cannot overflow. */
		if (out->n >= ZTB_MAX_VALS)
			return -1;
		if (parse_value(k, argv[i], argv[i + 1], &out->v[out->n]))
			return -1;
		out->n++;
	}
	return 0;
}
