// SPDX-License-Identifier: GPL-2.0
/*
 * ztbondctl: ZeroTier-compatible JSON configuration.
 *
 * The file is ZeroTier's local.conf, or any JSON document with its
 * "settings" object: defaultBondingPolicy, policies (custom policies with a
 * basePolicy and overrides), per-policy links, peerSpecificBonds, plus the
 * keys only ztbond has. Key names and value rules are those of keys.c (the
 * same vocabulary as "bond set" and "link set"); this file adds the JSON
 * structure around them.
 *
 * Checking reports every problem with its JSON path, the bad value and
 * what is allowed. Applying validates everything, reads the bond, checks
 * that every link the configuration names is enslaved, and only then
 * writes: the bond's parameters, then each link whose settings differ. If
 * the kernel refuses a write half-way, what was already written is put
 * back to the values read before the first write.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "ztbondctl.h"
#include "config.h"

#define CFG_PATH	256		/* a JSON path in messages */
#define CFG_MAX_FILE	(1 << 20)	/* bytes */
#define CFG_MAX_PEERS	4096
#define CFG_MAX_DEPTH	32		/* json-c's default nesting limit */
#define CFG_SUM_EPS	1e-6		/* per term: ppm rounding of a dump */
#define CFG_AUTHKEY_HEX	(2 * ZTBOND_AUTH_KEY_LEN)	/* SipHash key, hex */

/* ---- the keys a policy object has besides the bond keys --------------- */

/*
 * Keys ZeroTier defines (and ztbond's own) that the kernel cannot take yet:
 * they are checked like every other key and reported as not applied.
 */
static const struct ztb_key policy_keys[] = {
	/* none at the moment: the kernel takes every key */
	{ .name = NULL }
};

static const struct ztb_keyset policy_keyset = {
	.what = "policy", .keys = policy_keys,
};

/* Keys that only mean something with one base policy: a note otherwise. */
static const struct {
	const char *key;
	int policy;
} policy_only[] = {
	{ "packetsPerLink",	ZTBOND_POLICY_BALANCE_RR },
	{ "linkSelectMethod",	ZTBOND_POLICY_ACTIVE_BACKUP },
	{ "balancePolicy",	ZTBOND_POLICY_BALANCE_AWARE },
	{ "dedup",		ZTBOND_POLICY_BROADCAST },
	{ "dataHeader",		ZTBOND_POLICY_BALANCE_RR },
};

/* ZeroTier's documented link quality weights ("quality"). */
static const char *const quality_keys[] = {
	"lat", "ltm", "pdv", "plr", "per", "avl",
};

/* quality_keys[i] is weight attribute ZTBOND_Q_A_W_LAT + i */
_Static_assert(ZTBOND_Q_A_W_AVL - ZTBOND_Q_A_W_LAT + 1 ==
	       ZTB_ARRAY_SIZE(quality_keys), "quality keys");

/* ZeroTier's code ("linkQuality"): maxima and weights (default 0.25). */
static const struct {
	const char *key;
	double max;		/* upper bound of the value */
	bool weight;
	int attr;		/* enum ztbond_quality_attr */
	double scale;		/* to the kernel's unit (us, ppm) */
} link_quality_keys[] = {
	{ "lat_max",	ZTBOND_MAX_INTERVAL_MS,	false, ZTBOND_Q_A_LAT_MAX_US, 1e3 },
	{ "pdv_max",	ZTBOND_MAX_INTERVAL_MS,	false, ZTBOND_Q_A_PDV_MAX_US, 1e3 },
	{ "plr_max",	1.0,	false,	ZTBOND_Q_A_PLR_MAX_PPM,	1e6 },
	{ "per_max",	1.0,	false,	ZTBOND_Q_A_PER_MAX_PPM,	1e6 },
	{ "lat_weight",	1.0,	true,	ZTBOND_Q_A_W_LAT,	1e6 },
	{ "pdv_weight",	1.0,	true,	ZTBOND_Q_A_W_PDV,	1e6 },
	{ "plr_weight",	1.0,	true,	ZTBOND_Q_A_W_PLR,	1e6 },
	{ "per_weight",	1.0,	true,	ZTBOND_Q_A_W_PER,	1e6 },
};

/*
 * Weights as ppm that sum to exactly 1000000, as the kernel requires: the
 * rounding remainder goes to the largest weight.
 */
static void q_normalize(uint32_t *q)
{
	int64_t sum = 0;
	int i, big = ZTBOND_Q_A_W_LAT;

	for (i = ZTBOND_Q_A_W_LAT; i <= ZTBOND_Q_A_W_AVL; i++) {
		sum += q[i];
		if (q[i] > q[big])
			big = i;
	}
	q[big] = (uint32_t)((int64_t)q[big] + ZTBOND_PPM - sum);
}

#define LQ_DEF_WEIGHT	0.25

/* ---- the parsed configuration ----------------------------------------- */

struct cfg_link {
	const char *name;		/* key in the JSON tree */
	char path[CFG_PATH];
	struct ztb_kvlist kv;		/* keys given */
};

struct cfg_unapplied {
	char path[CFG_PATH];
	const char *why;
};

#define CFG_MAX_UNAPPLIED	16

struct cfg_policy {
	const char *name;		/* custom name, or the standard one */
	char path[CFG_PATH];
	bool custom;
	int base;			/* enum ztbond_policy, -1 if unusable */
	struct ztb_kvlist kv;		/* bond keys given */
	bool has_links;
	unsigned int nlinks;
	struct cfg_link links[ZTBOND_MAX_LINKS];
	unsigned int nun;
	struct cfg_unapplied un[CFG_MAX_UNAPPLIED];
	/* quality/linkQuality in kernel units (enum ztbond_quality_attr) */
	bool q_given;
	uint32_t q[ZTBOND_Q_A_MAX + 1];
};

/* One entry of peerSpecificBonds. */
struct cfg_peer {
	char id[18];			/* node id or MAC, lower case */
	const char *policy;		/* a name the policies or standards know */
	char path[CFG_PATH];
};

struct cfg {
	const char *file;
	unsigned int nerr;
	json_object *root;
	unsigned int npol;
	struct cfg_policy **pol;
	const char *def;		/* defaultBondingPolicy */
	unsigned int npeers;
	struct cfg_peer *peers;
	uint64_t nwid;			/* config apply --network: node id -> MAC */
	bool has_nwid;
	struct cfg_policy std;		/* a standard policy without a block */
	struct cfg_policy peer_std;	/* the same, for a peer's */
};

/* ---- messages --------------------------------------------------------- */

/* "FILE: PATH: message" (an error) or "FILE: note: PATH: message". */
static void cfg_msg(const struct cfg *c, bool note, const char *path,
		    const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	ztb_err("%s: %s%s: %s", c->file, note ? "note: " : "", path, msg);
}

static void ZTB_PRINTF(3, 4) cfg_error(struct cfg *c, const char *path,
				       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_msg(c, false, path, fmt, ap);
	va_end(ap);
	c->nerr++;
}

static void ZTB_PRINTF(3, 4) cfg_note(const struct cfg *c, const char *path,
				      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_msg(c, true, path, fmt, ap);
	va_end(ap);
}

/* A JSON value as it appears in the file, shortened for a message. */
static const char *jtext(json_object *v, char *buf, size_t len)
{
	const char *s = json_object_to_json_string_ext(v,
			JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

	if (!s)
		s = "?";
	if (strlen(s) < len)
		snprintf(buf, len, "%s", s);
	else
		snprintf(buf, len, "%.*s...", (int)(len - 4), s);
	return buf;
}

/* A string as a JSON string, shortened for a message. */
static const char *jquote(const char *s, char *buf, size_t len)
{
	json_object *v = json_object_new_string(s);

	if (!v)
		return s;
	jtext(v, buf, len);
	json_object_put(v);
	return buf;
}

/* parent.key, or parent["key"] for a key that is not a plain word. */
static const char *path_join(char *buf, size_t len, const char *parent,
			     const char *key)
{
	bool plain = *key != '\0';
	const char *p;

	for (p = key; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
			plain = false;
	if (plain)
		snprintf(buf, len, "%s%s%s", parent, *parent ? "." : "", key);
	else
		snprintf(buf, len, "%s[\"%s\"]", parent, key);
	return buf;
}

static bool want_object(struct cfg *c, const char *path, json_object *v)
{
	char vb[80];

	if (json_object_is_type(v, json_type_object))
		return true;
	cfg_error(c, path, "%s is not an object ({...})",
		  jtext(v, vb, sizeof(vb)));
	return false;
}

/* A standard policy name, or -1. */
static int std_policy(const char *s)
{
	unsigned int i;

	for (i = 0; i < ztb_policy_names.n; i++)
		if (ztb_policy_names.names[i] &&
		    !strcmp(s, ztb_policy_names.names[i]))
			return (int)i;
	return -1;
}

static const char *std_policy_list(char *buf, size_t len, bool no_none)
{
	size_t off = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < ztb_policy_names.n; i++) {
		if (no_none && i == ZTBOND_POLICY_NONE)
			continue;
		off += snprintf(buf + off, off < len ? len - off : 0, "%s%s",
				off ? ", " : "", ztb_policy_names.names[i]);
	}
	return buf;
}

/* ---- values ------------------------------------------------------------ */

static bool get_number(json_object *v, double *d)
{
	if (!json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_double))
		return false;
	*d = json_object_get_double(v);
	return true;
}

/*
 * Check a JSON value against key k (keys.c) and convert it as "bond set"
 * and "link set" would. Returns 0, or -1 after reporting.
 */
static int json_value(struct cfg *c, const char *path,
		      const struct ztb_key *k, json_object *v,
		      struct ztb_val *out)
{
	struct ztb_key plain = *k;
	char allowed[160], vb[80];
	const char *s;
	unsigned int i;
	double d;

	plain.inherit = false;	/* "inherit" is leaving the key out */
	ztb_key_allowed(&plain, allowed, sizeof(allowed));
	jtext(v, vb, sizeof(vb));
	memset(out, 0, sizeof(*out));
	out->key = k;

	switch (k->kind) {
	case ZTB_K_KEY:		/* parse_authkey() has it */
		cfg_error(c, path, "not a configuration key");
		return -1;
	case ZTB_K_U32:
	case ZTB_K_IPVPREF:
		if (!get_number(v, &d)) {
			cfg_error(c, path, "%s is not a number (%s)", vb,
				  allowed);
			return -1;
		}
		if (!isfinite(d) || d != floor(d)) {
			cfg_error(c, path, "%s is not a whole number (%s)", vb,
				  allowed);
			return -1;
		}
		if (k->kind == ZTB_K_IPVPREF) {
			if (d == ZTBOND_IPVPREF_ANY || d == ZTBOND_IPVPREF_4 ||
			    d == ZTBOND_IPVPREF_6 || d == ZTBOND_IPVPREF_46 ||
			    d == ZTBOND_IPVPREF_64) {
				out->u = (uint32_t)d;
				return 0;
			}
			cfg_error(c, path, "%s is not one of %s", vb, allowed);
			return -1;
		}
		if (d < k->min || d > k->max) {
			cfg_error(c, path, "%s is out of range (%s)", vb,
				  allowed);
			return -1;
		}
		out->u = (uint32_t)d;
		return 0;
	case ZTB_K_PPM:
		if (!get_number(v, &d) || !isfinite(d)) {
			cfg_error(c, path, "%s is not a fraction (%s)", vb,
				  allowed);
			return -1;
		}
		if (d < 0.0 || d > 1.0) {
			cfg_error(c, path, "%s is out of range (%s)", vb,
				  allowed);
			return -1;
		}
		out->u = (uint32_t)llround(d * ZTBOND_PPM);
		return 0;
	case ZTB_K_BOOL:
		if (json_object_is_type(v, json_type_boolean)) {
			out->u = json_object_get_boolean(v);
			return 0;
		}
		cfg_error(c, path, "%s is not a boolean (true, false)", vb);
		return -1;
	case ZTB_K_ENUM:
	case ZTB_K_POLICY:
		if (json_object_is_type(v, json_type_string)) {
			s = json_object_get_string(v);
			for (i = 0; i < k->e->n; i++) {
				if (k->e->names[i] && !strcmp(s, k->e->names[i])) {
					out->u = i;
					return 0;
				}
			}
		}
		cfg_error(c, path, "%s is not one of %s", vb, allowed);
		return -1;
	case ZTB_K_IFNAME:
		if (json_object_is_type(v, json_type_string) &&
		    ztb_ifname_valid(json_object_get_string(v))) {
			snprintf(out->s, sizeof(out->s), "%s",
				 json_object_get_string(v));
			return 0;
		}
		cfg_error(c, path, "%s is not an interface name ("
			  ZTB_IFNAME_RULE ")", vb);
		return -1;
	}
	return -1;
}

static const struct ztb_val *kv_get(const struct ztb_kvlist *kv,
				    const struct ztb_key *k)
{
	unsigned int i;

	for (i = 0; i < kv->n; i++)
		if (kv->v[i].key == k)
			return &kv->v[i];
	return NULL;
}

/* Remember which spelling of each key an object used: "given twice". */
struct seen {
	unsigned int n;
	const struct ztb_key *key[2 * ZTB_MAX_VALS];
	const char *as[2 * ZTB_MAX_VALS];
};

static bool seen_twice(struct cfg *c, struct seen *sn, const char *path,
		       const struct ztb_key *k, const char *as)
{
	unsigned int i;

	for (i = 0; i < sn->n; i++) {
		if (sn->key[i] == k) {
			cfg_error(c, path, "given twice, as %s and %s (two "
				  "spellings of one key)", sn->as[i], as);
			return true;
		}
	}
	if (sn->n < ZTB_ARRAY_SIZE(sn->key)) {
		sn->key[sn->n] = k;
		sn->as[sn->n++] = as;
	}
	return false;
}

static void key_list(const struct ztb_keyset *ks, bool skip_policy,
		     char *buf, size_t len, size_t *off)
{
	const struct ztb_key *k;

	for (k = ks->keys; k->name; k++) {
		if (skip_policy && k->kind == ZTB_K_POLICY)
			continue;
		*off += snprintf(buf + *off, *off < len ? len - *off : 0,
				 "%s%s", *off ? ", " : "", k->name);
	}
}

/* ---- links ------------------------------------------------------------ */

static void parse_link(struct cfg *c, struct cfg_link *l, json_object *obj)
{
	struct seen sn = { .n = 0 };
	char path[CFG_PATH], list[256];
	const struct ztb_key *k;
	size_t off = 0;

	if (!want_object(c, l->path, obj))
		return;
	json_object_object_foreach(obj, key, val) {
		path_join(path, sizeof(path), l->path, key);
		k = ztb_find_key(&ztb_link_keyset, key);
		if (!k) {
			off = 0;
			key_list(&ztb_link_keyset, false, list, sizeof(list),
				 &off);
			if (ztb_find_key(&ztb_bond_keyset, key) ||
			    ztb_find_key(&policy_keyset, key))
				cfg_error(c, path, "a policy key, not a link "
					  "key (link keys: %s)", list);
			else
				cfg_error(c, path, "unknown link key (%s)",
					  list);
			continue;
		}
		if (seen_twice(c, &sn, path, k, key))
			continue;
		if (l->kv.n >= ZTB_MAX_VALS)
			continue;
		if (!json_value(c, path, k, val, &l->kv.v[l->kv.n]))
			l->kv.n++;
	}
	if (kv_get(&l->kv, ztb_find_key(&ztb_link_keyset, "speed")) &&
	    kv_get(&l->kv, ztb_find_key(&ztb_link_keyset, "alloc")))
		cfg_error(c, l->path, "speed and alloc are mutually exclusive "
			  "(give one of them)");
}

static struct cfg_link *find_link(struct cfg_policy *p, const char *name)
{
	unsigned int i;

	for (i = 0; i < p->nlinks; i++)
		if (!strcmp(p->links[i].name, name))
			return &p->links[i];
	return NULL;
}

/* Rules across the links of one policy. */
static void check_links(struct cfg *c, struct cfg_policy *p,
			const char *path)
{
	const struct ztb_key *kspeed = ztb_find_key(&ztb_link_keyset, "speed");
	const struct ztb_key *kalloc = ztb_find_key(&ztb_link_keyset, "alloc");
	const struct ztb_key *kto = ztb_find_key(&ztb_link_keyset,
						 "failoverTo");
	const char *with_speed = NULL, *with_alloc = NULL;
	unsigned int i, nalloc = 0;
	char lpath[CFG_PATH];
	double sum = 0.0;

	for (i = 0; i < p->nlinks; i++) {
		struct cfg_link *l = &p->links[i];
		const struct ztb_val *v;

		if (kv_get(&l->kv, kspeed))
			with_speed = l->name;
		v = kv_get(&l->kv, kalloc);
		if (v) {
			with_alloc = l->name;
			sum += (double)v->u / ZTBOND_PPM;
			nalloc++;
		}
		v = kv_get(&l->kv, kto);
		if (!v)
			continue;
		path_join(lpath, sizeof(lpath), l->path, "failoverTo");
		if (!strcmp(v->s, l->name))
			cfg_error(c, lpath, "\"%s\" is this link itself "
				  "(failoverTo names another link of the "
				  "policy's links)", v->s);
		else if (!find_link(p, v->s))
			cfg_error(c, lpath, "\"%s\" is not one of the links "
				  "of %s", v->s, path);
	}
	if (with_speed && with_alloc && strcmp(with_speed, with_alloc))
		cfg_error(c, path, "speed (%s) and alloc (%s) are mutually "
			  "exclusive: allocate by one of them for all links",
			  with_speed, with_alloc);
	if (nalloc && fabs(sum - 1.0) > CFG_SUM_EPS * nalloc)
		cfg_error(c, path, "alloc values sum to %g, they must sum to "
			  "1.0", sum);
}

static void parse_links(struct cfg *c, struct cfg_policy *p,
			const char *path, json_object *obj)
{
	char vb[80];

	p->has_links = true;
	if (!want_object(c, path, obj))
		return;
	json_object_object_foreach(obj, key, val) {
		struct cfg_link *l;

		if (p->nlinks >= ZTBOND_MAX_LINKS) {
			cfg_error(c, path, "more than %d links (a bond has "
				  "at most %d)", ZTBOND_MAX_LINKS,
				  ZTBOND_MAX_LINKS);
			break;
		}
		l = &p->links[p->nlinks];
		memset(l, 0, sizeof(*l));
		l->name = key;
		path_join(l->path, sizeof(l->path), path, key);
		if (!ztb_ifname_valid(key)) {
			cfg_error(c, l->path, "%s is not an interface name ("
				  ZTB_IFNAME_RULE ")",
				  jquote(key, vb, sizeof(vb)));
			continue;
		}
		p->nlinks++;
		parse_link(c, l, val);
	}
	check_links(c, p, path);
}

/* ---- quality weights --------------------------------------------------- */

static void parse_quality(struct cfg *c, struct cfg_policy *p,
			  const char *path, json_object *obj)
{
	char kpath[CFG_PATH], vb[80];
	unsigned int i;
	double d, sum = 0.0;

	if (!want_object(c, path, obj))
		return;
	/* the weights given, the others 0; the maxima at their defaults */
	ztb_quality_default(p->q);
	p->q[ZTBOND_Q_A_W_DEFAULT] = 0;
	p->q_given = true;
	json_object_object_foreach(obj, key, val) {
		path_join(kpath, sizeof(kpath), path, key);
		for (i = 0; i < ZTB_ARRAY_SIZE(quality_keys); i++)
			if (!strcmp(key, quality_keys[i]))
				break;
		if (i == ZTB_ARRAY_SIZE(quality_keys)) {
			cfg_error(c, kpath, "unknown quality weight (lat, ltm, "
				  "pdv, plr, per, avl)");
			continue;
		}
		if (!get_number(val, &d) || !isfinite(d) || d < 0 || d > 1) {
			cfg_error(c, kpath, "%s is not a weight (a fraction "
				  "0..1; all weights sum to 1.0)",
				  jtext(val, vb, sizeof(vb)));
			continue;
		}
		sum += d;
		p->q[ZTBOND_Q_A_W_LAT + i] = (uint32_t)llround(d * 1e6);
	}
	if (fabs(sum - 1.0) > CFG_SUM_EPS)
		cfg_error(c, path, "weights sum to %g, they must sum to 1.0",
			  sum);
	q_normalize(p->q);
}

static void parse_link_quality(struct cfg *c, struct cfg_policy *p,
			       const char *path, json_object *obj)
{
	char kpath[CFG_PATH], vb[80];
	double d, sum = 0.0;
	unsigned int i, given = 0;

	if (!want_object(c, path, obj))
		return;
	/*
	 * ZeroTier's code: four weights, a quarter each unless given. Without
	 * any weight the policy's default weights stay.
	 */
	ztb_quality_default(p->q);
	p->q_given = true;
	json_object_object_foreach(obj, key, val) {
		path_join(kpath, sizeof(kpath), path, key);
		for (i = 0; i < ZTB_ARRAY_SIZE(link_quality_keys); i++)
			if (!strcmp(key, link_quality_keys[i].key))
				break;
		if (i == ZTB_ARRAY_SIZE(link_quality_keys)) {
			cfg_error(c, kpath, "unknown linkQuality key (lat_max, "
				  "pdv_max, plr_max, per_max, lat_weight, "
				  "pdv_weight, plr_weight, per_weight)");
			continue;
		}
		if (!get_number(val, &d) || !isfinite(d) || d < 0 ||
		    d > link_quality_keys[i].max ||
		    (!link_quality_keys[i].weight && d == 0)) {
			cfg_error(c, kpath, "%s is out of range (%s%g)",
				  jtext(val, vb, sizeof(vb)),
				  link_quality_keys[i].weight ? "0.." :
								"more than 0, up to ",
				  link_quality_keys[i].max);
			continue;
		}
		p->q[link_quality_keys[i].attr] =
			(uint32_t)llround(d * link_quality_keys[i].scale);
		if (link_quality_keys[i].weight) {
			sum += d;
			given |= 1u << i;
		}
	}
	if (!given)
		return;
	p->q[ZTBOND_Q_A_W_DEFAULT] = 0;
	for (i = 0; i < ZTB_ARRAY_SIZE(link_quality_keys); i++)
		if (link_quality_keys[i].weight && !(given & (1u << i))) {
			p->q[link_quality_keys[i].attr] = ZTBOND_DEF_Q_WEIGHT;
			sum += LQ_DEF_WEIGHT;
		}
	if (fabs(sum - 1.0) > CFG_SUM_EPS)
		cfg_error(c, path, "weights sum to %g (a weight not given "
			  "counts as %g), they must sum to 1.0", sum,
			  LQ_DEF_WEIGHT);
	q_normalize(p->q);
}

static void parse_authkey(struct cfg *c, const char *path, json_object *v)
{
	const char *s = json_object_get_string(v);
	char vb[80];
	size_t i;

	if (json_object_is_type(v, json_type_string) &&
	    strlen(s) == CFG_AUTHKEY_HEX) {
		for (i = 0; i < CFG_AUTHKEY_HEX; i++)
			if (!isxdigit((unsigned char)s[i]))
				break;
		if (i == CFG_AUTHKEY_HEX)
			return;
	}
	/* Do not echo what may be most of a secret. */
	if (json_object_is_type(v, json_type_string))
		snprintf(vb, sizeof(vb), "a string of %zu characters",
			 strlen(s));
	else
		jtext(v, vb, sizeof(vb));
	cfg_error(c, path, "%s is not a 128-bit key (%d hex digits)", vb,
		  CFG_AUTHKEY_HEX);
}

/* ---- policies ---------------------------------------------------------- */

static void unapplied(struct cfg_policy *p, const char *path, const char *why)
{
	if (p->nun >= CFG_MAX_UNAPPLIED)
		return;
	snprintf(p->un[p->nun].path, sizeof(p->un[0].path), "%s", path);
	p->un[p->nun++].why = why;
}

static void parse_policy_key(struct cfg *c, struct cfg_policy *p,
			     struct seen *sn, const char *key,
			     json_object *val, const char *path)
{
	const struct ztb_key *k;
	struct ztb_val v;
	char list[512];
	size_t off = 0;

	if (!strcmp(key, "links")) {
		parse_links(c, p, path, val);
		return;
	}
	if (!strcmp(key, "quality") || !strcmp(key, "linkQuality")) {
		/* two spellings with two shapes: one of them at a time */
		static const struct ztb_key quality = { .name = "quality" };

		if (seen_twice(c, sn, path, &quality, key))
			return;
		if (key[0] == 'q')
			parse_quality(c, p, path, val);
		else
			parse_link_quality(c, p, path, val);
		return;
	}
	if (!strcmp(key, "authKey")) {
		parse_authkey(c, path, val);
		unapplied(p, path, "a secret is not read back from the kernel, so "
			  "files do not carry it: set it with \"ztbondctl bond "
			  "set NAME authKey\"");
		return;
	}
	k = ztb_find_key(&ztb_bond_keyset, key);
	if (k && k->kind != ZTB_K_POLICY) {
		if (seen_twice(c, sn, path, k, key) || p->kv.n >= ZTB_MAX_VALS)
			return;
		if (!json_value(c, path, k, val, &p->kv.v[p->kv.n]))
			p->kv.n++;
		return;
	}
	k = ztb_find_key(&policy_keyset, key);
	if (k) {
		if (seen_twice(c, sn, path, k, key))
			return;
		if (!json_value(c, path, k, val, &v))
			unapplied(p, path, k->help);
		return;
	}
	key_list(&ztb_bond_keyset, true, list, sizeof(list), &off);
	key_list(&policy_keyset, false, list, sizeof(list), &off);
	off += snprintf(list + off, off < sizeof(list) ? sizeof(list) - off : 0,
			", quality, linkQuality, authKey, links%s",
			p->custom ? ", basePolicy" : "");
	if (ztb_find_key(&ztb_link_keyset, key))
		cfg_error(c, path, "a link key: it belongs in the links "
			  "object, e.g. %s.links.eth0.%s", p->path, key);
	else if (!strcmp(key, "basePolicy"))
		cfg_error(c, path, "a standard policy's own block has no "
			  "basePolicy (define a custom policy in "
			  "settings.policies to derive one)");
	else
		cfg_error(c, path, "unknown policy key (%s)", list);
}

/* v is a string naming a policy of settings.policies. */
static bool is_custom_name(const struct cfg *c, json_object *v)
{
	json_object *set, *pols;

	return json_object_is_type(v, json_type_string) &&
	       json_object_object_get_ex(c->root, "settings", &set) &&
	       json_object_object_get_ex(set, "policies", &pols) &&
	       json_object_object_get_ex(pols, json_object_get_string(v), NULL);
}

static void parse_policy(struct cfg *c, struct cfg_policy *p,
			 json_object *obj)
{
	struct seen sn = { .n = 0 };
	char path[CFG_PATH], vb[80], list[160];
	unsigned int i;

	if (!want_object(c, p->path, obj)) {
		p->base = -1;
		return;
	}
	if (p->custom) {
		json_object *b;

		path_join(path, sizeof(path), p->path, "basePolicy");
		p->base = -1;
		std_policy_list(list, sizeof(list), true);
		if (!json_object_object_get_ex(obj, "basePolicy", &b)) {
			cfg_error(c, path, "missing: a custom policy needs a "
				  "basePolicy (%s)", list);
		} else if (!json_object_is_type(b, json_type_string) ||
			   std_policy(json_object_get_string(b)) <= 0) {
			cfg_error(c, path, "%s is not a standard policy other "
				  "than none (%s)%s", jtext(b, vb, sizeof(vb)),
				  list, is_custom_name(c, b) ?
				  "; a custom policy cannot be a base" : "");
		} else {
			p->base = std_policy(json_object_get_string(b));
		}
	}
	json_object_object_foreach(obj, key, val) {
		if (p->custom && !strcmp(key, "basePolicy"))
			continue;
		path_join(path, sizeof(path), p->path, key);
		parse_policy_key(c, p, &sn, key, val, path);
	}
	if (p->base < 0)
		return;
	for (i = 0; i < ZTB_ARRAY_SIZE(policy_only); i++) {
		const struct ztb_key *k;

		if (policy_only[i].policy == p->base)
			continue;
		k = ztb_find_key(&ztb_bond_keyset, policy_only[i].key);
		if (!k)
			k = ztb_find_key(&policy_keyset, policy_only[i].key);
		if (k && (json_object_object_get_ex(obj, k->name, NULL) ||
			  (k->alias &&
			   json_object_object_get_ex(obj, k->alias, NULL))))
			cfg_note(c, p->path, "%s only matters with %s; with "
				 "%s it is kept but has no effect",
				 policy_only[i].key,
				 ztb_policy_names.names[policy_only[i].policy],
				 ztb_policy_names.names[p->base]);
	}
}

static struct cfg_policy *new_policy(struct cfg *c, const char *name,
				     const char *path, bool custom)
{
	struct cfg_policy **n, *p;

	p = calloc(1, sizeof(*p));
	n = realloc(c->pol, (c->npol + 1) * sizeof(*n));
	if (!p || !n) {
		free(p);
		if (n)
			c->pol = n;
		ztb_err("out of memory");
		return NULL;
	}
	c->pol = n;
	c->pol[c->npol++] = p;
	p->name = name;
	p->custom = custom;
	p->base = custom ? -1 : std_policy(name);
	snprintf(p->path, sizeof(p->path), "%s", path);
	return p;
}

static struct cfg_policy *find_policy(const struct cfg *c, const char *name)
{
	unsigned int i;

	for (i = 0; i < c->npol; i++)
		if (!strcmp(c->pol[i]->name, name))
			return c->pol[i];
	return NULL;
}

static bool custom_name_ok(struct cfg *c, const char *path, const char *s)
{
	size_t n = strlen(s);
	const char *p;

	if (std_policy(s) >= 0) {
		cfg_error(c, path, "\"%s\" is a standard policy name; a custom "
			  "policy needs a name of its own (tune the standard "
			  "one in settings.%s)", s, s);
		return false;
	}
	if (n == 0 || n >= ZTBOND_POLICY_NAME_MAX) {
		cfg_error(c, path, "a policy name must have 1..%d characters",
			  ZTBOND_POLICY_NAME_MAX - 1);
		return false;
	}
	for (p = s; *p; p++) {
		if (!isgraph((unsigned char)*p)) {
			cfg_error(c, path, "a policy name must be printable "
				  "without spaces");
			return false;
		}
	}
	return true;
}

static void parse_policies(struct cfg *c, const char *path, json_object *obj)
{
	char ppath[CFG_PATH];

	if (!want_object(c, path, obj))
		return;
	json_object_object_foreach(obj, key, val) {
		struct cfg_policy *p;

		path_join(ppath, sizeof(ppath), path, key);
		if (!custom_name_ok(c, ppath, key))
			continue;
		p = new_policy(c, key, ppath, true);
		if (!p) {
			c->nerr++;
			return;
		}
		parse_policy(c, p, val);
	}
}

/* ---- peers ------------------------------------------------------------- */

/* A ZeroTier node id (10 hex digits) or a MAC, lower-cased into out. */
static const char *peer_id(const char *s, char *out, size_t len,
			   const char **why)
{
	size_t n = strlen(s), i;

	*why = NULL;
	if (n == 10) {
		for (i = 0; i < n; i++)
			if (!isxdigit((unsigned char)s[i]))
				return NULL;
	} else if (n == 17) {
		for (i = 0; i < n; i++) {
			if (i % 3 == 2 ? s[i] != ':' :
					 !isxdigit((unsigned char)s[i]))
				return NULL;
		}
	} else {
		return NULL;
	}
	for (i = 0; i < n && i + 1 < len; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[i] = '\0';
	if (n == 10 && !strcmp(out, "0000000000"))
		*why = "0000000000 is not a node id";
	else if (n == 10 && !strncmp(out, "ff", 2))
		*why = "node ids beginning with ff are reserved";
	else if (n == 17 && strtoul(out, NULL, 16) & 1)
		*why = "a peer's MAC is unicast (multicast bit set)";
	else if (n == 17 && !strcmp(out, "00:00:00:00:00:00"))
		*why = "00:00:00:00:00:00 is not a MAC address";
	return out;
}

static void parse_peers(struct cfg *c, const char *path, json_object *obj)
{
	char ppath[CFG_PATH], vb[80], list[160];
	struct cfg_peer *ids;
	unsigned int i, n = 0;
	const char *why;

	if (!want_object(c, path, obj))
		return;
	ids = calloc(CFG_MAX_PEERS, sizeof(*ids));
	if (!ids) {
		ztb_err("out of memory");
		c->nerr++;
		return;
	}
	json_object_object_foreach(obj, key, val) {
		const char *pol;

		path_join(ppath, sizeof(ppath), path, key);
		if (n >= CFG_MAX_PEERS) {
			cfg_error(c, path, "more than %d peers",
				  CFG_MAX_PEERS);
			break;
		}
		if (!peer_id(key, ids[n].id, sizeof(ids[n].id), &why)) {
			cfg_error(c, ppath, "%s is not a peer id (a ZeroTier "
				  "node id of 10 hex digits, or a MAC address "
				  "aa:bb:cc:dd:ee:ff)",
				  jquote(key, vb, sizeof(vb)));
			continue;
		}
		if (why) {
			cfg_error(c, ppath, "\"%s\" is not a peer id: %s", key,
				  why);
			continue;
		}
		for (i = 0; i < n; i++)
			if (!strcmp(ids[i].id, ids[n].id))
				break;
		if (i < n) {
			cfg_error(c, ppath, "peer %s is given twice", ids[n].id);
			continue;
		}
		pol = json_object_get_string(val);
		ids[n].policy = pol;
		snprintf(ids[n].path, sizeof(ids[n].path), "%s", ppath);
		n++;
		if (!json_object_is_type(val, json_type_string) ||
		    (std_policy(pol) < 0 && !find_policy(c, pol)))
			cfg_error(c, ppath, "%s is not a defined policy (a "
				  "standard policy: %s; or a name from "
				  "settings.policies)",
				  jtext(val, vb, sizeof(vb)),
				  std_policy_list(list, sizeof(list), false));
	}
	c->npeers = n;
	free(c->peers);
	c->peers = ids;
}

/* ---- settings ---------------------------------------------------------- */

static bool contains_ci(const char *s, const char *word)
{
	size_t n = strlen(word);

	for (; *s; s++)
		if (!strncasecmp(s, word, n))
			return true;
	return false;
}

static void parse_settings(struct cfg *c, json_object *set)
{
	json_object *def = NULL, *peers = NULL;
	char path[CFG_PATH], vb[80], list[160];
	bool any = false;

	if (!want_object(c, "settings", set))
		return;
	/* Policies first: the default and the peers refer to them. */
	json_object_object_foreach(set, key, val) {
		path_join(path, sizeof(path), "settings", key);
		if (!strcmp(key, "policies")) {
			parse_policies(c, path, val);
		} else if (!strcmp(key, "defaultBondingPolicy")) {
			def = val;
		} else if (!strcmp(key, "peerSpecificBonds")) {
			peers = val;
		} else if (std_policy(key) >= 0) {
			struct cfg_policy *p = new_policy(c, key, path, false);

			if (!p) {
				c->nerr++;
				return;
			}
			parse_policy(c, p, val);
		} else if (contains_ci(key, "bond") ||
			   contains_ci(key, "polic") ||
			   ztb_find_key(&ztb_bond_keyset, key) ||
			   ztb_find_key(&ztb_link_keyset, key) ||
			   ztb_find_key(&policy_keyset, key) ||
			   !strcmp(key, "links") || !strcmp(key, "quality") ||
			   !strcmp(key, "linkQuality")) {
			cfg_error(c, path, "not a bonding key of settings "
				  "(defaultBondingPolicy, policies, "
				  "peerSpecificBonds, or a standard policy's "
				  "block such as active-backup); policy keys "
				  "belong in a policy");
		} else {
			cfg_note(c, path, "not a bonding setting, ignored");
			continue;
		}
		any = true;
	}
	if (def) {
		c->def = json_object_get_string(def);
		if (!json_object_is_type(def, json_type_string) ||
		    (std_policy(c->def) < 0 && !find_policy(c, c->def))) {
			cfg_error(c, "settings.defaultBondingPolicy", "%s is not "
				  "a standard policy (%s) or a policy defined "
				  "in settings.policies",
				  jtext(def, vb, sizeof(vb)),
				  std_policy_list(list, sizeof(list), false));
			c->def = NULL;
		}
	}
	if (peers)
		parse_peers(c, "settings.peerSpecificBonds", peers);
	if (!any)
		cfg_note(c, "settings", "no bonding keys: policy none with "
			 "default parameters");
}

static void parse_root(struct cfg *c)
{
	json_object *set = NULL;
	char path[CFG_PATH];

	if (!json_object_is_type(c->root, json_type_object)) {
		cfg_error(c, "(top level)", "the document must be an object "
			  "with a \"settings\" object, as ZeroTier's local.conf");
		return;
	}
	json_object_object_foreach(c->root, key, val) {
		if (!strcmp(key, "settings"))
			set = val;
		else
			cfg_note(c, path_join(path, sizeof(path), "", key),
				 "not bonding configuration, ignored");
	}
	if (!set) {
		cfg_error(c, "settings", "missing (bonding is configured in "
			  "the \"settings\" object of ZeroTier's local.conf)");
		return;
	}
	parse_settings(c, set);
}

/* The policy in force for the bond: defaultBondingPolicy, or none. */
static struct cfg_policy *in_force(struct cfg *c)
{
	const char *name = c->def ? c->def : "none";
	struct cfg_policy *p = find_policy(c, name);

	if (p)
		return p;
	memset(&c->std, 0, sizeof(c->std));
	c->std.name = ztb_policy_names.names[std_policy(name)];
	c->std.base = std_policy(name);
	path_join(c->std.path, sizeof(c->std.path), "settings", c->std.name);
	return &c->std;
}

/* ---- reading the file -------------------------------------------------- */

static void line_col(const char *s, size_t off, unsigned int *line,
		     unsigned int *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off && s[i]; i++) {
		if (s[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static void ZTB_PRINTF(4, 5) syntax_error(struct cfg *c, const char *buf,
					  size_t off, const char *fmt, ...)
{
	unsigned int line, col;
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	line_col(buf, off, &line, &col);
	ztb_err("%s:%u:%u: %s", c->file, line, col, msg);
	c->nerr++;
}

/*
 * Blank out // and / * * / comments outside strings, keeping newlines so
 * that line and column numbers stay those of the file.
 */
static int strip_comments(struct cfg *c, char *s, size_t len)
{
	size_t i = 0, start;

	while (i < len) {
		if (s[i] == '"') {
			for (i++; i < len && s[i] != '"' && s[i] != '\n'; i++)
				if (s[i] == '\\' && i + 1 < len)
					i++;
			i++;
		} else if (s[i] == '/' && i + 1 < len && s[i + 1] == '/') {
			while (i < len && s[i] != '\n')
				s[i++] = ' ';
		} else if (s[i] == '/' && i + 1 < len && s[i + 1] == '*') {
			start = i;
			s[i++] = ' ';
			s[i++] = ' ';
			while (i < len && !(s[i] == '*' && i + 1 < len &&
					    s[i + 1] == '/')) {
				if (s[i] != '\n')
					s[i] = ' ';
				i++;
			}
			if (i >= len) {
				syntax_error(c, s, start,
					     "unterminated /* comment");
				return -1;
			}
			s[i++] = ' ';
			s[i++] = ' ';
		} else {
			i++;
		}
	}
	return 0;
}

/*
 * What json-c lets through that JSON does not allow: single-quoted
 * strings, NaN and Infinity, and the same key twice in one object (json-c
 * keeps the last one silently). The text has been parsed, so it is known
 * to be balanced.
 */
struct scan_frame {
	bool object;
	bool want_key;
	unsigned int n, cap;
	size_t *key;		/* offsets of the keys' opening quotes */
};

static size_t str_end(const char *s, size_t len, size_t i)
{
	char q = s[i];

	for (i++; i < len && s[i] != q; i++)
		if (s[i] == '\\')
			i++;
	return i;		/* the closing quote */
}

static bool same_key(const char *s, size_t len, size_t a, size_t b)
{
	size_t ea = str_end(s, len, a), eb = str_end(s, len, b);

	return ea - a == eb - b && !memcmp(s + a, s + b, ea - a);
}

static void frame_add_key(struct scan_frame *f, size_t off)
{
	size_t *n;

	if (f->n == f->cap) {
		n = realloc(f->key, (f->cap ? 2 * f->cap : 8) * sizeof(*n));
		if (!n)
			return;		/* only fewer duplicates found */
		f->key = n;
		f->cap = f->cap ? 2 * f->cap : 8;
	}
	f->key[f->n++] = off;
}

static void strict_scan(struct cfg *c, const char *s, size_t len)
{
	struct scan_frame st[CFG_MAX_DEPTH + 1];
	int depth = -1;
	size_t i = 0, e;
	unsigned int j;

	memset(st, 0, sizeof(st));
	while (i < len) {
		char ch = s[i];
		struct scan_frame *f = depth >= 0 ? &st[depth] : NULL;

		if (isspace((unsigned char)ch) || ch == ':') {
			i++;
		} else if (ch == '{' || ch == '[') {
			if (depth >= CFG_MAX_DEPTH)
				break;
			f = &st[++depth];
			f->object = ch == '{';
			f->want_key = f->object;
			f->n = 0;
			i++;
		} else if (ch == '}' || ch == ']') {
			if (depth >= 0)
				depth--;
			i++;
		} else if (ch == ',') {
			if (f && f->object)
				f->want_key = true;
			i++;
		} else if (ch == '"' || ch == '\'') {
			if (ch == '\'')
				syntax_error(c, s, i, "single-quoted string "
					     "(JSON strings use \")");
			e = str_end(s, len, i);
			if (f && f->object && f->want_key) {
				for (j = 0; j < f->n; j++)
					if (same_key(s, len, f->key[j], i))
						break;
				if (j < f->n)
					syntax_error(c, s, i, "duplicate key "
						     "%.*s (JSON keeps only one "
						     "of them)",
						     (int)(e - i + 1 > 64 ? 64 :
							   e - i + 1), s + i);
				else
					frame_add_key(f, i);
				f->want_key = false;
			}
			i = e + 1;
		} else {
			e = i;
			while (e < len && (isalnum((unsigned char)s[e]) ||
					   s[e] == '-' || s[e] == '+' ||
					   s[e] == '.'))
				e++;
			if (isalpha((unsigned char)ch) &&
			    strncmp(s + i, "true", e - i) &&
			    strncmp(s + i, "false", e - i) &&
			    strncmp(s + i, "null", e - i))
				syntax_error(c, s, i, "%.*s is not JSON (numbers "
					     "are finite)", (int)(e - i),
					     s + i);
			else if ((ch == '-' || ch == '+') && e > i + 1 &&
				 isalpha((unsigned char)s[i + 1]))
				syntax_error(c, s, i, "%.*s is not JSON (numbers "
					     "are finite)", (int)(e - i),
					     s + i);
			i = e > i ? e : i + 1;
		}
	}
	for (j = 0; j <= CFG_MAX_DEPTH; j++)
		free(st[j].key);
}

static char *read_file(const char *file, size_t *len)
{
	FILE *f = strcmp(file, "-") ? fopen(file, "r") : stdin;
	char *buf;
	size_t n;

	if (!f) {
		ztb_err("%s: %s", file, strerror(errno));
		return NULL;
	}
	buf = malloc(CFG_MAX_FILE + 1);
	if (!buf) {
		ztb_err("out of memory");
		goto out;
	}
	n = fread(buf, 1, CFG_MAX_FILE + 1, f);
	if (ferror(f)) {
		ztb_err("%s: %s", file, strerror(errno));
		goto fail;
	}
	if (n > CFG_MAX_FILE) {
		ztb_err("%s: larger than %d bytes", file, CFG_MAX_FILE);
		goto fail;
	}
	buf[n] = '\0';
	*len = n;
	goto out;
fail:
	free(buf);
	buf = NULL;
out:
	if (f != stdin)
		fclose(f);
	return buf;
}

static int cfg_load(struct cfg *c, const char *file, bool comments)
{
	struct json_tokener *tok;
	enum json_tokener_error jerr;
	size_t len, end;
	char *buf;

	memset(c, 0, sizeof(*c));
	c->file = strcmp(file, "-") ? file : "(stdin)";
	buf = read_file(file, &len);
	if (!buf)
		return -1;
	if (strlen(buf) != len) {
		syntax_error(c, buf, strlen(buf), "NUL byte in the file");
		goto fail;
	}
	if (comments && strip_comments(c, buf, len))
		goto fail;
	tok = json_tokener_new_ex(CFG_MAX_DEPTH);
	if (!tok) {
		ztb_err("out of memory");
		goto fail;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
			       JSON_TOKENER_VALIDATE_UTF8);
	c->root = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!c->root || jerr != json_tokener_success) {
		if (jerr == json_tokener_continue || jerr == json_tokener_success)
			syntax_error(c, buf, len, "unexpected end of the file "
				     "(an object or array is not closed)");
		else
			syntax_error(c, buf, end, "%s%s",
				     json_tokener_error_desc(jerr),
				     !comments && end < len && buf[end] == '/' ?
				     " (comments are not JSON; "
				     "--allow-comments strips them)" : "");
		json_object_put(c->root);
		c->root = NULL;
		goto fail;
	}
	strict_scan(c, buf, len);
	free(buf);
	parse_root(c);
	return c->nerr ? -1 : 0;
fail:
	free(buf);
	return -1;
}

static void cfg_free(struct cfg *c)
{
	unsigned int i;

	for (i = 0; i < c->npol; i++)
		free(c->pol[i]);
	free(c->pol);
	free(c->peers);
	json_object_put(c->root);
	memset(c, 0, sizeof(*c));
}

/* ---- the kernel's state ------------------------------------------------ */

static bool obj_has(const struct ztb_obj *o, int attr)
{
	return o->has & (1ULL << attr);
}

/* Every key of ks as o has it (absent: the key's default). */
static void obj_state(const struct ztb_keyset *ks, const struct ztb_obj *o,
		      struct ztb_kvlist *out)
{
	const struct ztb_key *k;

	out->n = 0;
	for (k = ks->keys; k->name && out->n < ZTB_MAX_VALS; k++) {
		struct ztb_val *v;

		if (k->kind == ZTB_K_KEY)	/* write-only secrets */
			continue;
		v = &out->v[out->n++];
		memset(v, 0, sizeof(*v));
		v->key = k;
		v->u = k->def;
		if (!obj_has(o, k->attr))
			continue;
		if (k->kind == ZTB_K_IFNAME)
			snprintf(v->s, sizeof(v->s), "%s",
				 o->str[k->attr] ? o->str[k->attr] : "");
		else
			v->u = (uint32_t)o->val[k->attr];
	}
}

/* Every key of ks: given in kv, else the default. */
static void full_state(const struct ztb_keyset *ks,
		       const struct ztb_kvlist *kv, struct ztb_kvlist *out)
{
	const struct ztb_key *k;

	out->n = 0;
	for (k = ks->keys; k->name && out->n < ZTB_MAX_VALS; k++) {
		const struct ztb_val *g = kv_get(kv, k);
		struct ztb_val *v;

		if (k->kind == ZTB_K_KEY)	/* write-only secrets */
			continue;
		v = &out->v[out->n++];

		if (g) {
			*v = *g;
		} else {
			memset(v, 0, sizeof(*v));
			v->key = k;
			v->u = k->def;
		}
	}
}

static struct ztb_val *state_val(struct ztb_kvlist *kv, const char *name)
{
	unsigned int i;

	for (i = 0; i < kv->n; i++)
		if (!strcmp(kv->v[i].key->name, name))
			return &kv->v[i];
	return NULL;
}

static bool same_state(const struct ztb_kvlist *a, const struct ztb_kvlist *b)
{
	unsigned int i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (a->v[i].key != b->v[i].key || a->v[i].u != b->v[i].u ||
		    strcmp(a->v[i].s, b->v[i].s))
			return false;
	return true;
}

static int get_bond(struct ztb_nl *nl, const char *name,
		    struct ztb_bondlist *out)
{
	struct nl_msg *msg = ztb_nl_req(nl, ZTBOND_CMD_BOND_GET, false);

	if (!msg || nla_put_string(msg, ZTBOND_A_IFNAME, name) < 0) {
		nlmsg_free(msg);
		ztb_err("out of memory");
		return -1;
	}
	if (ztb_nl_exec(nl, msg, ztb_collect_bond, out, name))
		return -1;
	if (out->n != 1) {
		ztb_err("%s: no reply from the kernel", name);
		return -1;
	}
	return 0;
}

/* One write: the bond's parameters (link NULL) or one link's. */
struct cfg_write {
	const char *link;
	struct ztb_kvlist want, was;
	char want_name[ZTBOND_POLICY_NAME_MAX], was_name[ZTBOND_POLICY_NAME_MAX];
	/* the bond's quality parameters (enum ztbond_quality_attr) */
	uint32_t want_q[ZTBOND_Q_A_MAX + 1], was_q[ZTBOND_Q_A_MAX + 1];
};

static bool changes(const struct cfg_write *w, bool bond)
{
	if (!bond && !w->link)
		return false;
	return !same_state(&w->want, &w->was) ||
	       (bond && (strcmp(w->want_name, w->was_name) ||
			 !ztb_quality_same(w->want_q, w->was_q)));
}

/*
 * Fault injection for the tests of the kernel's all-or-nothing check:
 * with ZTBOND_FAULT_WRITE=N in the environment, part N of the request (1:
 * the bond's parameters, 2...: the links in the order written) carries one
 * out-of-range value more (the kernel takes the last of repeated
 * attributes), so the kernel refuses the request as it would refuse a
 * value that only it can check.
 */
static unsigned int fault_part(void)
{
	const char *e = getenv("ZTBOND_FAULT_WRITE");

	return e ? (unsigned int)strtoul(e, NULL, 10) : 0;
}

/*
 * Every quality parameter: the maxima, and the weights as one set (the
 * kernel takes them so) or the request for the policy's defaults.
 */
static int put_quality(struct nl_msg *msg, const uint32_t *q)
{
	struct nlattr *nest = nla_nest_start(msg, ZTBOND_A_QUALITY);
	int i;

	if (!nest)
		return -1;
	if (q[ZTBOND_Q_A_W_DEFAULT] &&
	    nla_put_u8(msg, ZTBOND_Q_A_W_DEFAULT, 1) < 0)
		return -1;
	for (i = 1; i < ZTBOND_Q_A_W_DEFAULT; i++) {
		if (i <= ZTBOND_Q_A_W_AVL && q[ZTBOND_Q_A_W_DEFAULT])
			continue;
		if (nla_put_u32(msg, i, q[i]) < 0)
			return -1;
	}
	nla_nest_end(msg, nest);
	return 0;
}

/* ---- peerSpecificBonds -------------------------------------------------- */

/* MAC::fromAddress of ZeroTierOne: a node's MAC on network nwid. */
static void zt_mac(uint64_t node, uint64_t nwid, uint8_t mac[ETH_ALEN])
{
	uint8_t first = (uint8_t)((nwid & 0xfe) | 0x02);
	int i;

	/* 0x52 is what KVM and libvirt use: ZeroTier avoids it */
	mac[0] = first == 0x52 ? 0x32 : first;
	for (i = 1; i < ETH_ALEN; i++)
		mac[i] = (uint8_t)(node >> (8 * (5 - i))) ^
			 (uint8_t)(nwid >> (8 * i));
}

/* The peer's MAC: given, or derived from its node id and the network. */
static int peer_mac(struct cfg *c, const struct cfg_peer *cp,
		    uint8_t mac[ETH_ALEN])
{
	unsigned int b[ETH_ALEN], i;

	if (strlen(cp->id) == 10) {
		if (!c->has_nwid) {
			cfg_error(c, cp->path, "%s is a ZeroTier node id, and "
				  "its MAC depends on the network: give it "
				  "with \"config apply NAME FILE --network "
				  "NWID\" (or use the peer's MAC)", cp->id);
			return -1;
		}
		zt_mac(strtoull(cp->id, NULL, 16), c->nwid, mac);
		return 0;
	}
	if (sscanf(cp->id, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5]) != ETH_ALEN)
		return -1;	/* checked when the file was read */
	for (i = 0; i < ETH_ALEN; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

/*
 * What the kernel gets for one peer: its policy's base and the parameters
 * that decide how traffic spreads. The policy's other keys are per link or
 * per bond (report_unapplied() says so).
 */
static int peer_want(struct cfg *c, const struct cfg_peer *cp,
		     struct ztb_peer *out)
{
	static const struct ztb_kvlist none = { .n = 0 };
	struct cfg_policy *p = find_policy(c, cp->policy);
	struct ztb_kvlist st;

	memset(out, 0, sizeof(*out));
	if (peer_mac(c, cp, out->mac))
		return -1;
	full_state(&ztb_bond_keyset, p ? &p->kv : &none, &st);
	out->policy = p ? p->base : std_policy(cp->policy);
	if (p && p->custom)
		snprintf(out->name, sizeof(out->name), "%s", p->name);
	out->packets_per_link = state_val(&st, "packetsPerLink")->u;
	out->link_select = (int)state_val(&st, "linkSelectMethod")->u;
	out->balance = (int)state_val(&st, "balancePolicy")->u;
	return 0;
}

static bool same_peer(const struct ztb_peer *a, const struct ztb_peer *b)
{
	return !memcmp(a->mac, b->mac, ETH_ALEN) && a->policy == b->policy &&
	       !strcmp(a->name, b->name) &&
	       a->packets_per_link == b->packets_per_link &&
	       a->link_select == b->link_select && a->balance == b->balance;
}

/* Is the kernel's peer table (have) the wanted one, in any order? */
static bool same_peers(const struct ztb_peer *want, unsigned int nwant,
		       const struct ztb_bond *b)
{
	unsigned int i, j;

	if (nwant != b->npeers)
		return false;
	for (i = 0; i < nwant; i++) {
		for (j = 0; j < b->npeers; j++)
			if (same_peer(&want[i], &b->peers[j]))
				break;
		if (j == b->npeers)
			return false;
	}
	return true;
}

/* The peer table of the configuration; -1 (reported) if it cannot be. */
static int plan_peers(struct cfg *c, struct ztb_peer **out)
{
	unsigned int i, bad = 0;

	*out = NULL;
	if (!c->npeers)
		return 0;
	if (c->npeers > ZTBOND_MAX_PEERS) {
		cfg_error(c, "settings.peerSpecificBonds", "%u peers; a bond "
			  "takes at most %d peers with their own policy",
			  c->npeers, ZTBOND_MAX_PEERS);
		return -1;
	}
	*out = calloc(c->npeers, sizeof(**out));
	if (!*out) {
		ztb_err("out of memory");
		return -1;
	}
	for (i = 0; i < c->npeers; i++)
		bad += peer_want(c, &c->peers[i], &(*out)[i]) != 0;
	if (!bad)
		return 0;
	free(*out);
	*out = NULL;
	return -1;
}

static int put_peers(struct nl_msg *msg, const struct ztb_peer *p,
		     unsigned int n)
{
	struct nlattr *peers, *nest;
	unsigned int i;

	/*
	 * No peers: an empty PEERS attribute clears the table. (libnl drops
	 * a nest that ends empty, so it is put as a zero-length attribute.)
	 */
	if (!n)
		return nla_put(msg, ZTBOND_A_PEERS | NLA_F_NESTED, 0, NULL) < 0 ?
		       -1 : 0;
	peers = nla_nest_start(msg, ZTBOND_A_PEERS);
	if (!peers)
		return -1;
	for (i = 0; i < n; i++) {
		nest = nla_nest_start(msg, ZTBOND_A_PEER);
		if (!nest ||
		    nla_put(msg, ZTBOND_PEER_A_MAC, ETH_ALEN, p[i].mac) < 0 ||
		    nla_put_u8(msg, ZTBOND_PEER_A_POLICY, (uint8_t)p[i].policy) < 0 ||
		    (p[i].name[0] &&
		     nla_put_string(msg, ZTBOND_PEER_A_POLICY_NAME, p[i].name) < 0) ||
		    nla_put_u32(msg, ZTBOND_PEER_A_PACKETS_PER_LINK,
				p[i].packets_per_link) < 0 ||
		    nla_put_u8(msg, ZTBOND_PEER_A_LINK_SELECT,
			       (uint8_t)p[i].link_select) < 0 ||
		    nla_put_u8(msg, ZTBOND_PEER_A_BALANCE_POLICY,
			       (uint8_t)p[i].balance) < 0)
			return -1;
		nla_nest_end(msg, nest);
	}
	nla_nest_end(msg, peers);
	return 0;
}

/*
 * The whole configuration in one BOND_SET: the bond's parameters and a
 * LINKS nest with every link that changes. The kernel checks all of it
 * before it changes anything.
 */
static int do_write(struct ztb_nl *nl, const char *bond,
		    const struct cfg_write *w, unsigned int n,
		    const struct ztb_peer *peers, int npeers)
{
	struct nl_msg *msg = ztb_nl_req(nl, ZTBOND_CMD_BOND_SET, false);
	unsigned int fault = fault_part(), part = 1, i;
	struct nlattr *links, *nest;

	if (!msg || nla_put_string(msg, ZTBOND_A_IFNAME, bond) < 0 ||
	    ztb_put_kv(msg, &w[0].want) ||
	    nla_put_string(msg, ZTBOND_A_POLICY_NAME, w[0].want_name) < 0 ||
	    put_quality(msg, w[0].want_q) ||
	    (fault == part && nla_put_u32(msg, ZTBOND_A_PACKETS_PER_LINK,
					  ZTBOND_MAX_PACKETS_PER_LINK + 1) < 0))
		goto fail;
	links = nla_nest_start(msg, ZTBOND_A_LINKS);
	if (!links)
		goto fail;
	for (i = 1; i < n; i++) {
		if (!changes(&w[i], false))
			continue;
		part++;
		nest = nla_nest_start(msg, ZTBOND_A_LINK);
		if (!nest ||
		    nla_put_string(msg, ZTBOND_LINK_A_IFNAME, w[i].link) < 0 ||
		    ztb_put_kv(msg, &w[i].want) ||
		    (fault == part && nla_put_u8(msg, ZTBOND_LINK_A_IPV_PREF, 5) < 0))
			goto fail;
		nla_nest_end(msg, nest);
	}
	nla_nest_end(msg, links);
	/* npeers < 0: the peer table stays (a rebuild would move AB peers) */
	if (npeers >= 0 && put_peers(msg, peers, (unsigned int)npeers))
		goto fail;
	return ztb_nl_exec(nl, msg, NULL, NULL, bond);
fail:
	nlmsg_free(msg);
	ztb_err("out of memory building the request");
	return -1;
}

static const char *link_name_of(const struct ztb_obj *l)
{
	return obj_has(l, ZTBOND_LINK_A_IFNAME) && l->str[ZTBOND_LINK_A_IFNAME] ?
	       l->str[ZTBOND_LINK_A_IFNAME] : NULL;
}


/*
 * Plan the writes: w[0] the bond's parameters, w[1 + i] link i of the
 * bond. Returns -1 (reported) if the configuration cannot be applied.
 */
static int plan(struct cfg *c, struct cfg_policy *p, const char *bond,
		const struct ztb_bond *b, struct cfg_write *w)
{
	static const struct ztb_kvlist none = { .n = 0 };
	char missing[512], have[512];
	size_t moff = 0, hoff = 0;
	unsigned int i, j, nmiss = 0;
	const char *cur;

	have[0] = missing[0] = '\0';
	for (i = 0; i < b->nlinks; i++)
		if (link_name_of(&b->links[i]))
			hoff += snprintf(have + hoff, hoff < sizeof(have) ?
					 sizeof(have) - hoff : 0, "%s%s",
					 hoff ? ", " : "",
					 link_name_of(&b->links[i]));
	for (i = 0; i < p->nlinks; i++) {
		for (j = 0; j < b->nlinks; j++)
			if (link_name_of(&b->links[j]) &&
			    !strcmp(link_name_of(&b->links[j]),
				    p->links[i].name))
				break;
		if (j < b->nlinks)
			continue;
		nmiss++;
		moff += snprintf(missing + moff, moff < sizeof(missing) ?
				 sizeof(missing) - moff : 0, "%s%s",
				 moff ? ", " : "", p->links[i].name);
	}
	if (nmiss) {
		cfg_error(c, p->path, "%s %s not %s of %s (its links: %s); "
			  "enslave first with \"ztbondctl link add %s DEV\"",
			  missing, nmiss > 1 ? "are" : "is",
			  nmiss > 1 ? "links" : "a link", bond,
			  hoff ? have : "none", bond);
		return -1;
	}

	obj_state(&ztb_bond_keyset, &b->a, &w[0].was);
	full_state(&ztb_bond_keyset, &p->kv, &w[0].want);
	state_val(&w[0].want, "policy")->u = (uint32_t)p->base;
	cur = obj_has(&b->a, ZTBOND_A_POLICY_NAME) ?
	      b->a.str[ZTBOND_A_POLICY_NAME] : NULL;
	snprintf(w[0].was_name, sizeof(w[0].was_name), "%s", cur ? cur : "");
	snprintf(w[0].want_name, sizeof(w[0].want_name), "%s",
		 p->custom ? p->name : "");
	if (p->q_given)
		memcpy(w[0].want_q, p->q, sizeof(w[0].want_q));
	else
		ztb_quality_default(w[0].want_q);
	if (b->has_q)
		memcpy(w[0].was_q, b->q, sizeof(w[0].was_q));

	for (i = 0; i < b->nlinks; i++) {
		const struct ztb_obj *lo = &b->links[i];
		struct cfg_write *x = &w[1 + i];
		struct cfg_link *l;

		x->link = link_name_of(lo);
		if (!x->link)
			continue;
		l = find_link(p, x->link);
		obj_state(&ztb_link_keyset, lo, &x->was);
		full_state(&ztb_link_keyset, l ? &l->kv : &none, &x->want);
		if (!l && p->has_links) {
			state_val(&x->want, "enabled")->u = 0;
			cfg_note(c, p->path, "%s is a link of %s but not in "
				 "%s.links: it is disabled (\"enabled\": false),"
				 " as ZeroTier uses only the links listed",
				 x->link, bond, p->path);
		}
	}
	return 0;
}

/* Does the policy say more than a peer can take (how traffic spreads)? */
static bool beyond_peer_keys(const struct cfg_policy *p)
{
	static const char *const peer_keys[] = {
		"policy", "packetsPerLink", "linkSelectMethod", "balancePolicy",
	};
	unsigned int i, j;

	if (p->has_links || p->q_given || p->nun)
		return true;
	for (i = 0; i < p->kv.n; i++) {
		for (j = 0; j < ZTB_ARRAY_SIZE(peer_keys); j++)
			if (!strcmp(p->kv.v[i].key->name, peer_keys[j]))
				break;
		if (j == ZTB_ARRAY_SIZE(peer_keys))
			return true;
	}
	return false;
}

static void report_unapplied(struct cfg *c, struct cfg_policy *force)
{
	unsigned int i, j, users;

	for (i = 0; i < force->nun; i++)
		cfg_note(c, force->un[i].path, "checked, not applied: %s",
			 force->un[i].why);
	for (i = 0; i < c->npol; i++) {
		if (c->pol[i] == force)
			continue;
		for (j = users = 0; j < c->npeers; j++)
			users += !strcmp(c->peers[j].policy, c->pol[i]->name);
		if (!users)
			cfg_note(c, c->pol[i]->path, "neither the default "
				 "policy of the bond nor a peer's: checked, "
				 "not applied");
		else if (beyond_peer_keys(c->pol[i]))
			cfg_note(c, c->pol[i]->path, "the policy of %u "
				 "peer%s: its base, packetsPerLink, "
				 "linkSelectMethod and balancePolicy apply to "
				 "them; its other keys are checked, not "
				 "applied (links, delays, monitoring and "
				 "quality are per link, from the default "
				 "policy)", users, users > 1 ? "s" : "");
	}
}

static int cfg_apply(struct cfg *c, const char *bond)
{
	struct ztb_bondlist list = { 0 };
	struct cfg_policy *p = in_force(c);
	struct ztb_peer *peers = NULL;
	struct cfg_write *w = NULL;
	unsigned int n, i, done = 0;
	bool peers_change;
	struct ztb_nl *nl;
	int ret = 1;

	nl = ztb_nl_open();
	if (!nl)
		return 1;
	if (get_bond(nl, bond, &list))
		goto out;
	n = 1 + list.b[0].nlinks;
	w = calloc(n, sizeof(*w));
	if (!w) {
		ztb_err("out of memory");
		goto out;
	}
	if (plan(c, p, bond, &list.b[0], w) || plan_peers(c, &peers)) {
		ztb_err("%s: nothing was changed", bond);
		goto out;
	}
	report_unapplied(c, p);

	for (i = 0; i < n; i++)
		done += changes(&w[i], !i);
	peers_change = !same_peers(peers, c->npeers, &list.b[0]);
	done += peers_change;
	if (done && do_write(nl, bond, w, n, peers,
			     peers_change ? (int)c->npeers : -1)) {
		ztb_err("%s: the kernel refused the configuration; nothing "
			"was changed", bond);
		goto out;
	}
	if (!done)
		printf("%s: no change (the configuration is already in force)\n",
		       bond);
	else
		printf("%s: policy %s%s%s%s applied (%u change%s)\n", bond,
		       p->name, p->custom ? " (" : "",
		       p->custom ? ztb_policy_names.names[p->base] : "",
		       p->custom ? ")" : "", done, done > 1 ? "s" : "");
	ret = 0;
out:
	free(peers);
	free(w);
	ztb_bondlist_free(&list);
	ztb_nl_close(nl);
	return ret;
}

/* ---- dump -------------------------------------------------------------- */

static json_object *val_json(const struct ztb_val *v)
{
	char buf[32];

	switch (v->key->kind) {
	case ZTB_K_U32:
	case ZTB_K_IPVPREF:
		return json_object_new_int64(v->u);
	case ZTB_K_ENUM:
	case ZTB_K_POLICY:
		return json_object_new_string(ztb_enum_str(v->key->e, v->u, buf,
							   sizeof(buf)));
	case ZTB_K_BOOL:
		return json_object_new_boolean(v->u != 0);
	case ZTB_K_PPM:
		return json_object_new_double_s((double)v->u / ZTBOND_PPM,
						ztb_ppm_str(v->u, buf,
							    sizeof(buf)));
	case ZTB_K_IFNAME:
		return json_object_new_string(v->s);
	case ZTB_K_KEY:		/* never read back, never dumped */
		break;
	}
	return NULL;
}

static bool relevant(const char *key, int policy)
{
	unsigned int i;

	for (i = 0; i < ZTB_ARRAY_SIZE(policy_only); i++)
		if (!strcmp(key, policy_only[i].key))
			return policy_only[i].policy == policy;
	return true;
}

/*
 * The bond's quality parameters in the spelling that can say them:
 * nothing for the defaults; ZeroTier's code spelling "linkQuality" (the
 * four maxima, and its four weights unless the policy's defaults are in
 * force) when ltm and avl weigh nothing; else the documented "quality"
 * (six weights, maxima at their defaults).
 */
static void quality_dump(json_object *p, const struct ztb_bond *b)
{
	uint32_t def[ZTBOND_Q_A_MAX + 1];
	bool wdef;
	json_object *q;
	unsigned int i;

	ztb_quality_default(def);
	if (!b->has_q || ztb_quality_same(def, b->q))
		return;
	wdef = b->q[ZTBOND_Q_A_W_DEFAULT];
	q = json_object_new_object();
	if (wdef || (!b->q[ZTBOND_Q_A_W_LTM] && !b->q[ZTBOND_Q_A_W_AVL])) {
		for (i = 0; i < ZTB_ARRAY_SIZE(link_quality_keys); i++) {
			uint32_t v = b->q[link_quality_keys[i].attr];

			if (wdef && link_quality_keys[i].weight)
				continue;
			json_object_object_add(q, link_quality_keys[i].key,
					       link_quality_keys[i].scale == 1e3 ?
					       ztb_json_ms(v) : ztb_json_ppm(v));
		}
		json_object_object_add(p, "linkQuality", q);
		if (b->q[ZTBOND_Q_A_LTM_MAX_US] || b->q[ZTBOND_Q_A_AVL_MIN_PPM])
			ztb_err("note: linkQuality has no ltm or availability "
				"maximum; the dump leaves the bond's out");
		return;
	}
	for (i = 0; i < ZTB_ARRAY_SIZE(quality_keys); i++)
		json_object_object_add(q, quality_keys[i],
			ztb_json_ppm(b->q[ZTBOND_Q_A_W_LAT + i]));
	json_object_object_add(p, "quality", q);
	for (i = ZTBOND_Q_A_LAT_MAX_US; i <= ZTBOND_Q_A_AVL_MIN_PPM; i++)
		if (b->q[i] != def[i]) {
			ztb_err("note: the bond's quality maxima cannot be "
				"written with six weights; the dump has the "
				"weights only");
			break;
		}
}

static json_object *policy_json(const struct ztb_bond *b, int policy,
				const char *custom)
{
	json_object *p = json_object_new_object(), *links;
	struct ztb_kvlist kv;
	unsigned int i, j;

	if (custom)
		json_object_object_add(p, "basePolicy",
			json_object_new_string(ztb_policy_names.names[policy]));
	obj_state(&ztb_bond_keyset, &b->a, &kv);
	for (i = 0; i < kv.n; i++) {
		const struct ztb_val *v = &kv.v[i];

		/* Kept also when it does not matter but is not the default. */
		if (v->key->kind == ZTB_K_POLICY ||
		    (!relevant(v->key->name, policy) && v->u == v->key->def))
			continue;
		json_object_object_add(p, v->key->name, val_json(v));
	}
	quality_dump(p, b);
	if (!b->nlinks)
		return p;
	links = json_object_new_object();
	for (i = 0; i < b->nlinks; i++) {
		json_object *l = json_object_new_object();

		if (!link_name_of(&b->links[i]))
			continue;
		obj_state(&ztb_link_keyset, &b->links[i], &kv);
		for (j = 0; j < kv.n; j++) {
			const struct ztb_val *v = &kv.v[j];

			/*
			 * Absent means the default: leave out what reads back
			 * the same and must not be given (both speed and
			 * alloc, an empty failoverTo, inherit).
			 */
			if ((v->key->kind == ZTB_K_IFNAME && !v->s[0]) ||
			    (v->key->inherit && v->u == ZTBOND_INHERIT) ||
			    ((!strcmp(v->key->name, "speed") ||
			      !strcmp(v->key->name, "alloc")) && !v->u))
				continue;
			json_object_object_add(l, v->key->name, val_json(v));
		}
		json_object_object_add(links, link_name_of(&b->links[i]), l);
	}
	json_object_object_add(p, "links", links);
	return p;
}

/* A peer's policy parameters that differ from the defaults, into o. */
static void peer_keys_json(json_object *o, const struct ztb_peer *p)
{
	static const char *const keys[] = {
		"packetsPerLink", "linkSelectMethod", "balancePolicy",
	};
	const uint32_t vals[] = {
		p->packets_per_link, (uint32_t)p->link_select,
		(uint32_t)p->balance,
	};
	unsigned int i;

	for (i = 0; i < ZTB_ARRAY_SIZE(keys); i++) {
		struct ztb_val v = { .key = ztb_find_key(&ztb_bond_keyset, keys[i]) };

		if (!v.key || vals[i] == v.key->def)
			continue;
		v.u = vals[i];
		json_object_object_add(o, keys[i], val_json(&v));
	}
}

/*
 * peerSpecificBonds: each peer by MAC, with the definitions of the custom
 * policies only peers use, so that applying the dump gives the same table.
 */
static void peers_dump(json_object *set, json_object **pols,
		       const struct ztb_bond *b, const char *def_custom)
{
	json_object *peers = json_object_new_object(), *o;
	char mac[24];
	unsigned int i;

	for (i = 0; i < b->npeers; i++) {
		const struct ztb_peer *p = &b->peers[i];
		const char *base = p->policy >= 0 &&
				   p->policy < (int)ztb_policy_names.n ?
				   ztb_policy_names.names[p->policy] : NULL;

		if (!base)
			continue;
		json_object_object_add(peers, ztb_mac_str(p->mac, mac,
							  sizeof(mac)),
			json_object_new_string(p->name[0] ? p->name : base));
		if (p->name[0]) {
			if ((def_custom && !strcmp(p->name, def_custom)) ||
			    (*pols && json_object_object_get_ex(*pols, p->name,
								 NULL)))
				continue;
			if (!*pols) {
				*pols = json_object_new_object();
				json_object_object_add(set, "policies", *pols);
			}
			o = json_object_new_object();
			json_object_object_add(o, "basePolicy",
					       json_object_new_string(base));
			peer_keys_json(o, p);
			json_object_object_add(*pols, p->name, o);
		} else if (!json_object_object_get_ex(set, base, NULL)) {
			o = json_object_new_object();
			peer_keys_json(o, p);
			if (json_object_object_length(o))
				json_object_object_add(set, base, o);
			else
				json_object_put(o);
		}
	}
	json_object_object_add(set, "peerSpecificBonds", peers);
}

static int cfg_dump(const char *bond)
{
	struct ztb_bondlist list = { 0 };
	json_object *root, *set, *pols = NULL;
	const struct ztb_bond *b;
	const char *custom = NULL, *s;
	struct ztb_nl *nl;
	int policy, ret = 1;

	nl = ztb_nl_open();
	if (!nl)
		return 1;
	if (get_bond(nl, bond, &list))
		goto out;
	b = &list.b[0];
	policy = (int)b->a.val[ZTBOND_A_POLICY];
	if (!obj_has(&b->a, ZTBOND_A_POLICY) ||
	    policy >= (int)ztb_policy_names.n) {
		ztb_err("%s: the kernel reports no known policy", bond);
		goto out;
	}
	if (obj_has(&b->a, ZTBOND_A_POLICY_NAME) &&
	    b->a.str[ZTBOND_A_POLICY_NAME][0])
		custom = b->a.str[ZTBOND_A_POLICY_NAME];

	root = json_object_new_object();
	set = json_object_new_object();
	json_object_object_add(root, "settings", set);
	json_object_object_add(set, "defaultBondingPolicy",
			       json_object_new_string(custom ? custom :
					ztb_policy_names.names[policy]));
	if (custom) {
		pols = json_object_new_object();
		json_object_object_add(pols, custom,
				       policy_json(b, policy, custom));
		json_object_object_add(set, "policies", pols);
	} else {
		json_object_object_add(set, ztb_policy_names.names[policy],
				       policy_json(b, policy, NULL));
	}
	if (b->npeers)
		peers_dump(set, &pols, b, custom);
	s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
					   JSON_C_TO_STRING_SPACED |
					   JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s) {
		printf("%s\n", s);
		ret = 0;
	}
	json_object_put(root);
out:
	ztb_bondlist_free(&list);
	ztb_nl_close(nl);
	return ret;
}

/* ---- commands ---------------------------------------------------------- */

/* Load FILE; on errors say how many and that nothing was applied. */
static int cfg_load_report(struct cfg *c, const char *file, bool comments,
			   bool applying)
{
	if (!cfg_load(c, file, comments))
		return 0;
	if (c->nerr)
		ztb_err("%s: %u error%s%s", c->file, c->nerr,
			c->nerr > 1 ? "s" : "",
			applying ? "; nothing was applied" : "");
	cfg_free(c);
	return -1;
}

int ztb_config_check_file(const char *file)
{
	struct cfg c;

	if (cfg_load_report(&c, file, false, true))
		return 1;
	cfg_free(&c);
	return 0;
}

/* A ZeroTier network id: 16 hex digits. */
static int parse_nwid(const char *s, uint64_t *nwid)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!isxdigit((unsigned char)s[i]))
			break;
	if (i != 16 || s[i]) {
		ztb_err("--network: \"%s\" is not a ZeroTier network id (16 "
			"hex digits)", s);
		return -1;
	}
	*nwid = strtoull(s, NULL, 16);
	return 0;
}

int ztb_config_apply_file(const char *bond, const char *file,
			  const char *network)
{
	uint64_t nwid = 0;
	struct cfg c;
	int ret;

	if (network && parse_nwid(network, &nwid))
		return 1;
	if (cfg_load_report(&c, file, false, true))
		return 1;
	c.nwid = nwid;
	c.has_nwid = network != NULL;
	ret = cfg_apply(&c, bond);
	cfg_free(&c);
	return ret;
}

int ztb_config_cmd(const char *cmd, int argc, char **argv)
{
	const char *args[2] = { NULL, NULL }, *network = NULL;
	bool comments = false;
	uint64_t nwid = 0;
	int i, nargs = 0, need;
	struct cfg c;
	int ret;

	need = !strcmp(cmd, "check") ? 1 : !strcmp(cmd, "apply") ? 2 : 1;
	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--allow-comments") && strcmp(cmd, "dump")) {
			comments = true;
		} else if (!strcmp(argv[i], "--network") && !strcmp(cmd, "apply")) {
			if (i + 1 == argc) {
				ztb_err("config apply: --network needs a "
					"network id (16 hex digits)");
				return 1;
			}
			network = argv[++i];
			if (parse_nwid(network, &nwid))
				return 1;
		} else if (nargs < need && (argv[i][0] != '-' ||
					   !strcmp(argv[i], "-"))) {
			args[nargs++] = argv[i];
		} else {
			ztb_err("config %s: unexpected argument \"%s\"", cmd,
				argv[i]);
			return 1;
		}
	}
	if (nargs < need) {
		ztb_err("config %s: missing %s (try \"" ZTB_PROG " config %s "
			"--help\")", cmd, !strcmp(cmd, "check") ||
			nargs == 1 ? "FILE" : "NAME", cmd);
		return 1;
	}
	if (strcmp(cmd, "check") && ztb_check_ifname(args[0]))
		return 1;
	if (!strcmp(cmd, "dump"))
		return cfg_dump(args[0]);

	if (cfg_load_report(&c, args[need - 1], comments,
			    !strcmp(cmd, "apply")))
		return 1;
	if (!strcmp(cmd, "check")) {
		struct cfg_policy *p = in_force(&c);

		printf("%s: valid; policy in force: %s%s%s%s\n", c.file,
		       p->name, p->custom ? " (" : "",
		       p->custom ? ztb_policy_names.names[p->base] : "",
		       p->custom ? ")" : "");
		ret = 0;
	} else {
		c.nwid = nwid;
		c.has_nwid = network != NULL;
		ret = cfg_apply(&c, args[0]);
	}
	cfg_free(&c);
	return ret;
}
