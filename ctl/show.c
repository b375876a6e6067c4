// SPDX-License-Identifier: GPL-2.0
/*
 * ztbondctl: decode bond/link attributes; text and JSON output.
 *
 * Every attribute is optional: what the kernel did not send is not shown.
 * Integer attributes are read by their length (1, 2, 4 or 8 bytes), so a
 * kernel that widens a counter or uses nla_put_uint() still decodes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <netlink/attr.h>

#include "ztbondctl.h"

_Static_assert(ZTBOND_A_MAX < ZTB_OBJ_MAX, "ZTB_OBJ_MAX too small");
_Static_assert(ZTBOND_LINK_A_MAX < ZTB_OBJ_MAX, "ZTB_OBJ_MAX too small");

enum { T_NONE, T_INT, T_STR, T_MAC, T_PEER_MAC };

static const uint8_t bond_types[ZTB_OBJ_MAX] = {
	[ZTBOND_A_IFINDEX]		= T_INT,
	[ZTBOND_A_IFNAME]		= T_STR,
	[ZTBOND_A_POLICY]		= T_INT,
	[ZTBOND_A_POLICY_NAME]		= T_STR,
	[ZTBOND_A_MTU]			= T_INT,
	[ZTBOND_A_CARRIER]		= T_INT,
	[ZTBOND_A_ACTIVE_LINK]		= T_INT,
	[ZTBOND_A_PACKETS_PER_LINK]	= T_INT,
	[ZTBOND_A_FAILOVER_INTERVAL]	= T_INT,
	[ZTBOND_A_UP_DELAY]		= T_INT,
	[ZTBOND_A_DOWN_DELAY]		= T_INT,
	[ZTBOND_A_LINK_SELECT]		= T_INT,
	[ZTBOND_A_BALANCE_POLICY]	= T_INT,
	[ZTBOND_A_MONITOR]		= T_INT,
	[ZTBOND_A_EVENT]		= T_INT,
	[ZTBOND_A_TX_PACKETS]		= T_INT,
	[ZTBOND_A_TX_BYTES]		= T_INT,
	[ZTBOND_A_RX_PACKETS]		= T_INT,
	[ZTBOND_A_RX_BYTES]		= T_INT,
	[ZTBOND_A_TX_DROPPED]		= T_INT,
	[ZTBOND_A_RX_DROPPED]		= T_INT,
	[ZTBOND_A_MAC]			= T_MAC,
	[ZTBOND_A_AUTH]			= T_INT,
	[ZTBOND_A_BOND_ID]		= T_INT,
	[ZTBOND_A_PUNISH_BASE]		= T_INT,
	[ZTBOND_A_PUNISH_MAX]		= T_INT,
	[ZTBOND_A_FLOW_MAX]		= T_INT,
	[ZTBOND_A_FLOW_EXPIRE]		= T_INT,
	[ZTBOND_A_FLOWS]		= T_INT,
	[ZTBOND_A_FLOW_MOVES]		= T_INT,
	[ZTBOND_A_DEDUP]		= T_INT,
	[ZTBOND_A_DEDUP_DROPPED]	= T_INT,
	[ZTBOND_A_DATA_HEADER]		= T_INT,
	[ZTBOND_A_REORDER_TIMEOUT]	= T_INT,
	[ZTBOND_A_REORDER_HELD]		= T_INT,
	[ZTBOND_A_REORDER_LOST]		= T_INT,
	[ZTBOND_A_REORDER_LATE]		= T_INT,
};

static const uint8_t link_types[ZTB_OBJ_MAX] = {
	[ZTBOND_LINK_A_IFINDEX]			= T_INT,
	[ZTBOND_LINK_A_IFNAME]			= T_STR,
	[ZTBOND_LINK_A_MODE]			= T_INT,
	[ZTBOND_LINK_A_FAILOVER_TO]		= T_STR,
	[ZTBOND_LINK_A_ENABLED]			= T_INT,
	[ZTBOND_LINK_A_IPV_PREF]		= T_INT,
	[ZTBOND_LINK_A_SPEED]			= T_INT,
	[ZTBOND_LINK_A_ALLOC]			= T_INT,
	[ZTBOND_LINK_A_UP_DELAY]		= T_INT,
	[ZTBOND_LINK_A_DOWN_DELAY]		= T_INT,
	[ZTBOND_LINK_A_FAILOVER_INTERVAL]	= T_INT,
	[ZTBOND_LINK_A_STATE]			= T_INT,
	[ZTBOND_LINK_A_ACTIVE]			= T_INT,
	[ZTBOND_LINK_A_MAC]			= T_MAC,
	[ZTBOND_LINK_A_MTU]			= T_INT,
	[ZTBOND_LINK_A_TX_PACKETS]		= T_INT,
	[ZTBOND_LINK_A_TX_BYTES]		= T_INT,
	[ZTBOND_LINK_A_RX_PACKETS]		= T_INT,
	[ZTBOND_LINK_A_RX_BYTES]		= T_INT,
	[ZTBOND_LINK_A_TX_DROPPED]		= T_INT,
	[ZTBOND_LINK_A_FAILURES]		= T_INT,
	[ZTBOND_LINK_A_LATENCY_US]		= T_INT,
	[ZTBOND_LINK_A_PDV_US]			= T_INT,
	[ZTBOND_LINK_A_PLR_PPM]			= T_INT,
	[ZTBOND_LINK_A_PER_PPM]			= T_INT,
	[ZTBOND_LINK_A_QUALITY_PPM]		= T_INT,
	[ZTBOND_LINK_A_SHARE_PPM]		= T_INT,
	[ZTBOND_LINK_A_LTM_US]			= T_INT,
	[ZTBOND_LINK_A_AVAIL_PPM]		= T_INT,
	[ZTBOND_LINK_A_ELIGIBLE]		= T_INT,
	[ZTBOND_LINK_A_PUNISHED_MS]		= T_INT,
	[ZTBOND_LINK_A_PEER_MAC]		= T_PEER_MAC,
	[ZTBOND_LINK_A_PEER_ID]			= T_INT,
	[ZTBOND_LINK_A_PATHS]			= T_INT,
	[ZTBOND_LINK_A_CTL_TX]			= T_INT,
	[ZTBOND_LINK_A_CTL_RX]			= T_INT,
	[ZTBOND_LINK_A_CTL_BAD]			= T_INT,
	[ZTBOND_LINK_A_CTL_AUTH_FAIL]		= T_INT,
	[ZTBOND_LINK_A_CTL_REPLAY]		= T_INT,
	[ZTBOND_LINK_A_PROBES]			= T_INT,
	[ZTBOND_LINK_A_FLOWS]			= T_INT,
	[ZTBOND_LINK_A_CLIENTS]			= T_INT,
	[ZTBOND_LINK_A_PROBES_SENT]		= T_INT,
	[ZTBOND_LINK_A_RTT_ECHOES]		= T_INT,
	[ZTBOND_LINK_A_DATA_LOST]		= T_INT,
	[ZTBOND_LINK_A_CAPACITY_KBPS]		= T_INT,
};

/* ---- decoding -------------------------------------------------------- */

static inline bool has(const struct ztb_obj *o, int attr)
{
	return o->has & (1ULL << attr);
}

static inline uint64_t val(const struct ztb_obj *o, int attr)
{
	return o->val[attr];
}

static const char *str(const struct ztb_obj *o, int attr)
{
	return has(o, attr) && o->str[attr] ? o->str[attr] : NULL;
}

static int obj_load(struct ztb_obj *o, struct nlattr **tb, int max,
		    const uint8_t *types)
{
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 1; i <= max; i++) {
		struct nlattr *a = tb[i];
		int len;

		if (!a)
			continue;
		len = nla_len(a);
		switch (types[i]) {
		case T_INT:
			switch (len) {
			case 1: o->val[i] = nla_get_u8(a); break;
			case 2: o->val[i] = nla_get_u16(a); break;
			case 4: o->val[i] = nla_get_u32(a); break;
			case 8: o->val[i] = nla_get_u64(a); break;
			default: continue;
			}
			break;
		case T_STR:
			o->str[i] = strndup(nla_data(a), (size_t)len);
			if (!o->str[i])
				return -ENOMEM;
			break;
		case T_MAC:
		case T_PEER_MAC:
			if (len != ETH_ALEN)
				continue;
			memcpy(types[i] == T_MAC ? o->mac : o->peer_mac,
			       nla_data(a), ETH_ALEN);
			break;
		default:
			continue;
		}
		o->has |= 1ULL << i;
	}
	return 0;
}

static void obj_free(struct ztb_obj *o)
{
	int i;

	for (i = 0; i < ZTB_OBJ_MAX; i++)
		free(o->str[i]);
	memset(o, 0, sizeof(*o));
}

static void bond_free(struct ztb_bond *b)
{
	unsigned int i;

	obj_free(&b->a);
	for (i = 0; i < b->nlinks; i++)
		obj_free(&b->links[i]);
	free(b->links);
	free(b->peers);
	memset(b, 0, sizeof(*b));
}

static int load_links(struct ztb_bond *b, struct nlattr *links)
{
	struct nlattr *tb[ZTBOND_LINK_A_MAX + 1];
	struct nlattr *l;
	int rem, err;

	nla_for_each_nested(l, links, rem) {
		if (nla_type(l) != ZTBOND_A_LINK)
			continue;
		if (nla_parse_nested(tb, ZTBOND_LINK_A_MAX, l, NULL) < 0)
			continue;
		if (b->nlinks == b->cap) {
			unsigned int cap = b->cap ? b->cap * 2 : 8;
			struct ztb_obj *n;

			n = realloc(b->links, cap * sizeof(*n));
			if (!n)
				return -ENOMEM;
			b->links = n;
			b->cap = cap;
		}
		err = obj_load(&b->links[b->nlinks], tb, ZTBOND_LINK_A_MAX,
			       link_types);
		b->nlinks++;		/* so that bond_free() frees it */
		if (err)
			return err;
	}
	return 0;
}

/*
 * The defaults: the policy's weights (the kernel knows them; W_DEFAULT
 * asks for them, the weights here stay 0) and the maxima.
 */
void ztb_quality_default(uint32_t q[ZTBOND_Q_A_MAX + 1])
{
	memset(q, 0, (ZTBOND_Q_A_MAX + 1) * sizeof(q[0]));
	q[ZTBOND_Q_A_W_DEFAULT] = 1;
	q[ZTBOND_Q_A_LAT_MAX_US] = ZTBOND_DEF_Q_LAT_MAX_US;
	q[ZTBOND_Q_A_PDV_MAX_US] = ZTBOND_DEF_Q_PDV_MAX_US;
	q[ZTBOND_Q_A_PLR_MAX_PPM] = ZTBOND_DEF_Q_PLR_MAX_PPM;
	q[ZTBOND_Q_A_PER_MAX_PPM] = ZTBOND_DEF_Q_PER_MAX_PPM;
}

static void quality_load(struct ztb_bond *b, struct nlattr *nest)
{
	struct nlattr *qtb[ZTBOND_Q_A_MAX + 1];
	int i;

	if (!nest || nla_parse_nested(qtb, ZTBOND_Q_A_MAX, nest, NULL) < 0)
		return;
	b->has_q = true;
	for (i = 1; i <= ZTBOND_Q_A_MAX; i++)
		b->q[i] = qtb[i] && nla_len(qtb[i]) >= 4 ? nla_get_u32(qtb[i]) : 0;
	b->q[ZTBOND_Q_A_W_DEFAULT] = qtb[ZTBOND_Q_A_W_DEFAULT] &&
		nla_len(qtb[ZTBOND_Q_A_W_DEFAULT]) >= 1 &&
		nla_get_u8(qtb[ZTBOND_Q_A_W_DEFAULT]);
}

/*
 * Whether two sets of quality parameters are the same configuration: the
 * same maxima, and the policy's default weights on both or the same
 * weights (what the defaults are is the kernel's business).
 */
bool ztb_quality_same(const uint32_t *a, const uint32_t *b)
{
	int i;

	if (!a[ZTBOND_Q_A_W_DEFAULT] != !b[ZTBOND_Q_A_W_DEFAULT])
		return false;
	for (i = 1; i < ZTBOND_Q_A_W_DEFAULT; i++) {
		if (i <= ZTBOND_Q_A_W_AVL && a[ZTBOND_Q_A_W_DEFAULT])
			continue;
		if (a[i] != b[i])
			return false;
	}
	return true;
}

static int load_peers(struct ztb_bond *b, struct nlattr *peers)
{
	struct nlattr *tb[ZTBOND_PEER_A_MAX + 1];
	struct ztb_peer *p;
	struct nlattr *a;
	int rem;

	b->has_peers = true;
	nla_for_each_nested(a, peers, rem) {
		if (nla_type(a) != ZTBOND_A_PEER ||
		    nla_parse_nested(tb, ZTBOND_PEER_A_MAX, a, NULL) < 0 ||
		    !tb[ZTBOND_PEER_A_MAC] || nla_len(tb[ZTBOND_PEER_A_MAC]) != ETH_ALEN ||
		    !tb[ZTBOND_PEER_A_POLICY])
			continue;
		p = realloc(b->peers, (b->npeers + 1) * sizeof(*p));
		if (!p)
			return -ENOMEM;
		b->peers = p;
		p = &b->peers[b->npeers++];
		memset(p, 0, sizeof(*p));
		memcpy(p->mac, nla_data(tb[ZTBOND_PEER_A_MAC]), ETH_ALEN);
		p->policy = nla_get_u8(tb[ZTBOND_PEER_A_POLICY]);
		if (tb[ZTBOND_PEER_A_POLICY_NAME])
			snprintf(p->name, sizeof(p->name), "%s",
				 nla_get_string(tb[ZTBOND_PEER_A_POLICY_NAME]));
		if (tb[ZTBOND_PEER_A_PACKETS_PER_LINK])
			p->packets_per_link =
				nla_get_u32(tb[ZTBOND_PEER_A_PACKETS_PER_LINK]);
		if (tb[ZTBOND_PEER_A_LINK_SELECT])
			p->link_select = nla_get_u8(tb[ZTBOND_PEER_A_LINK_SELECT]);
		if (tb[ZTBOND_PEER_A_BALANCE_POLICY])
			p->balance = nla_get_u8(tb[ZTBOND_PEER_A_BALANCE_POLICY]);
		if (tb[ZTBOND_PEER_A_ACTIVE_LINK])
			p->active = nla_get_u32(tb[ZTBOND_PEER_A_ACTIVE_LINK]);
	}
	return 0;
}

static int bond_load(struct ztb_bond *b, struct nlattr **tb)
{
	int err;

	memset(b, 0, sizeof(*b));
	quality_load(b, tb[ZTBOND_A_QUALITY]);
	err = obj_load(&b->a, tb, ZTBOND_A_MAX, bond_types);
	if (!err && tb[ZTBOND_A_LINKS])
		err = load_links(b, tb[ZTBOND_A_LINKS]);
	if (!err && tb[ZTBOND_A_PEERS])
		err = load_peers(b, tb[ZTBOND_A_PEERS]);
	if (err)
		bond_free(b);
	return err;
}

int ztb_collect_bond(struct nlattr **tb, void *arg)
{
	struct ztb_bondlist *l = arg;
	struct ztb_bond b, *last;
	unsigned int i;
	int err;

	err = bond_load(&b, tb);
	if (err)
		return err;

	/*
	 * A bond with many links may be continued in the next dump message,
	 * which repeats the ifindex: merge its links into the previous one.
	 */
	last = l->n ? &l->b[l->n - 1] : NULL;
	if (last && has(&b.a, ZTBOND_A_IFINDEX) &&
	    has(&last->a, ZTBOND_A_IFINDEX) &&
	    val(&b.a, ZTBOND_A_IFINDEX) == val(&last->a, ZTBOND_A_IFINDEX)) {
		for (i = 0; i < b.nlinks; i++) {
			if (last->nlinks == last->cap) {
				unsigned int cap = last->cap ? last->cap * 2 : 8;
				struct ztb_obj *n;

				n = realloc(last->links, cap * sizeof(*n));
				if (!n) {
					bond_free(&b);
					return -ENOMEM;
				}
				last->links = n;
				last->cap = cap;
			}
			last->links[last->nlinks++] = b.links[i];
			memset(&b.links[i], 0, sizeof(b.links[i]));
		}
		bond_free(&b);
		return 0;
	}

	if (l->n == l->cap) {
		unsigned int cap = l->cap ? l->cap * 2 : 4;
		struct ztb_bond *n = realloc(l->b, cap * sizeof(*n));

		if (!n) {
			bond_free(&b);
			return -ENOMEM;
		}
		l->b = n;
		l->cap = cap;
	}
	l->b[l->n++] = b;
	return 0;
}

void ztb_bondlist_free(struct ztb_bondlist *l)
{
	unsigned int i;

	for (i = 0; i < l->n; i++)
		bond_free(&l->b[i]);
	free(l->b);
	memset(l, 0, sizeof(*l));
}

/* ---- formatting helpers ---------------------------------------------- */

const char *ztb_ppm_str(uint64_t ppm, char *buf, size_t len)
{
	size_t n;

	snprintf(buf, len, "%llu.%06llu",
		 (unsigned long long)(ppm / ZTBOND_PPM),
		 (unsigned long long)(ppm % ZTBOND_PPM));
	n = strlen(buf);
	while (n && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n && buf[n - 1] == '.')
		buf[--n] = '\0';
	return buf;
}

/* microseconds as milliseconds: 1234 -> "1.234". */
static const char *us_str(uint64_t us, char *buf, size_t len)
{
	snprintf(buf, len, "%llu.%03llu", (unsigned long long)(us / 1000),
		 (unsigned long long)(us % 1000));
	return buf;
}

const char *ztb_mac_str(const uint8_t *m, char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x",
		 m[0], m[1], m[2], m[3], m[4], m[5]);
	return buf;
}

/* Name of a bond's link by ifindex: its link list, then the system. */
static const char *link_name(const struct ztb_bond *b, uint64_t ifindex,
			     char *buf)
{
	unsigned int i;

	for (i = 0; i < b->nlinks; i++) {
		const struct ztb_obj *l = &b->links[i];

		if (has(l, ZTBOND_LINK_A_IFINDEX) &&
		    val(l, ZTBOND_LINK_A_IFINDEX) == ifindex &&
		    str(l, ZTBOND_LINK_A_IFNAME))
			return str(l, ZTBOND_LINK_A_IFNAME);
	}
	if (ifindex && ifindex <= UINT32_MAX &&
	    if_indextoname((unsigned int)ifindex, buf))
		return buf;
	return NULL;
}

/* A line of "key value" items separated by two spaces (or by sep). */
struct ztb_line {
	char buf[1024];
	size_t len;
	const char *sep;
};

static void ZTB_PRINTF(2, 3) item(struct ztb_line *ln, const char *fmt, ...)
{
	va_list ap;
	size_t room;
	int n;

	if (ln->len) {
		const char *sep = ln->sep ? ln->sep : "  ";
		size_t slen = strlen(sep);

		if (ln->len + slen >= sizeof(ln->buf))
			return;
		memcpy(ln->buf + ln->len, sep, slen + 1);
		ln->len += slen;
	}
	room = sizeof(ln->buf) - ln->len;
	va_start(ap, fmt);
	n = vsnprintf(ln->buf + ln->len, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		ln->buf[ln->len] = '\0';
	else if ((size_t)n >= room)
		ln->len = sizeof(ln->buf) - 1;	/* truncated */
	else
		ln->len += (size_t)n;
}

/* ---- text output ----------------------------------------------------- */

static void u64_col(char *buf, size_t len, const struct ztb_obj *o, int attr)
{
	if (has(o, attr))
		snprintf(buf, len, "%llu", (unsigned long long)val(o, attr));
	else
		snprintf(buf, len, "-");
}

/* A link's interval differs from the bond default it would inherit. */
static bool own_ms(const struct ztb_obj *bond, const struct ztb_obj *l,
		   int battr, int lattr)
{
	return has(l, lattr) &&
	       (!has(bond, battr) || val(bond, battr) != val(l, lattr));
}

static void print_link_text(const struct ztb_bond *b, const struct ztb_obj *l)
{
	char tx_p[24], tx_b[24], rx_p[24], rx_b[24], drop[24], fail[24];
	char sbuf[24], mbuf[24], tmp[32];
	const char *name = str(l, ZTBOND_LINK_A_IFNAME);
	const char *state = "-", *mode = "-";
	struct ztb_line ln = { .len = 0 };
	bool active;

	if (!name) {
		snprintf(tmp, sizeof(tmp), "ifindex %llu",
			 (unsigned long long)val(l, ZTBOND_LINK_A_IFINDEX));
		name = has(l, ZTBOND_LINK_A_IFINDEX) ? tmp : "?";
	}
	if (has(l, ZTBOND_LINK_A_STATE))
		state = ztb_enum_str(&ztb_state_names,
				     val(l, ZTBOND_LINK_A_STATE), sbuf,
				     sizeof(sbuf));
	if (has(l, ZTBOND_LINK_A_MODE))
		mode = ztb_enum_str(&ztb_mode_names,
				    val(l, ZTBOND_LINK_A_MODE), mbuf,
				    sizeof(mbuf));
	if (has(l, ZTBOND_LINK_A_ACTIVE))
		active = val(l, ZTBOND_LINK_A_ACTIVE);
	else
		active = has(&b->a, ZTBOND_A_ACTIVE_LINK) &&
			 has(l, ZTBOND_LINK_A_IFINDEX) &&
			 val(&b->a, ZTBOND_A_ACTIVE_LINK) ==
			 val(l, ZTBOND_LINK_A_IFINDEX);

	u64_col(tx_p, sizeof(tx_p), l, ZTBOND_LINK_A_TX_PACKETS);
	u64_col(tx_b, sizeof(tx_b), l, ZTBOND_LINK_A_TX_BYTES);
	u64_col(rx_p, sizeof(rx_p), l, ZTBOND_LINK_A_RX_PACKETS);
	u64_col(rx_b, sizeof(rx_b), l, ZTBOND_LINK_A_RX_BYTES);
	u64_col(drop, sizeof(drop), l, ZTBOND_LINK_A_TX_DROPPED);
	u64_col(fail, sizeof(fail), l, ZTBOND_LINK_A_FAILURES);

	/* Settings worth a human's attention: the non-default ones. */
	if (str(l, ZTBOND_LINK_A_FAILOVER_TO) &&
	    *str(l, ZTBOND_LINK_A_FAILOVER_TO))
		item(&ln, "failoverTo %s", str(l, ZTBOND_LINK_A_FAILOVER_TO));
	if (has(l, ZTBOND_LINK_A_ENABLED) && !val(l, ZTBOND_LINK_A_ENABLED))
		item(&ln, "enabled false");
	if (has(l, ZTBOND_LINK_A_IPV_PREF) && val(l, ZTBOND_LINK_A_IPV_PREF))
		item(&ln, "ipvPref %llu",
		     (unsigned long long)val(l, ZTBOND_LINK_A_IPV_PREF));
	if (has(l, ZTBOND_LINK_A_SPEED) && val(l, ZTBOND_LINK_A_SPEED))
		item(&ln, "speed %llu",
		     (unsigned long long)val(l, ZTBOND_LINK_A_SPEED));
	if (has(l, ZTBOND_LINK_A_ALLOC) && val(l, ZTBOND_LINK_A_ALLOC))
		item(&ln, "alloc %s", ztb_ppm_str(val(l, ZTBOND_LINK_A_ALLOC),
					      tmp, sizeof(tmp)));
	if (own_ms(&b->a, l, ZTBOND_A_UP_DELAY, ZTBOND_LINK_A_UP_DELAY))
		item(&ln, "upDelay %llu ms",
		     (unsigned long long)val(l, ZTBOND_LINK_A_UP_DELAY));
	if (own_ms(&b->a, l, ZTBOND_A_DOWN_DELAY, ZTBOND_LINK_A_DOWN_DELAY))
		item(&ln, "downDelay %llu ms",
		     (unsigned long long)val(l, ZTBOND_LINK_A_DOWN_DELAY));
	if (own_ms(&b->a, l, ZTBOND_A_FAILOVER_INTERVAL,
		   ZTBOND_LINK_A_FAILOVER_INTERVAL))
		item(&ln, "failoverInterval %llu ms",
		     (unsigned long long)val(l, ZTBOND_LINK_A_FAILOVER_INTERVAL));
	if (has(l, ZTBOND_LINK_A_MTU) &&
	    (!has(&b->a, ZTBOND_A_MTU) ||
	     val(l, ZTBOND_LINK_A_MTU) < val(&b->a, ZTBOND_A_MTU)))
		item(&ln, "mtu %llu",
		     (unsigned long long)val(l, ZTBOND_LINK_A_MTU));
	if (has(l, ZTBOND_LINK_A_PEER_MAC))
		item(&ln, "peer %s", ztb_mac_str(l->peer_mac, tmp, sizeof(tmp)));
	if (has(l, ZTBOND_LINK_A_LATENCY_US))
		item(&ln, "rtt %s ms",
		     us_str(val(l, ZTBOND_LINK_A_LATENCY_US), tmp, sizeof(tmp)));
	if (has(l, ZTBOND_LINK_A_PDV_US))
		item(&ln, "pdv %s ms",
		     us_str(val(l, ZTBOND_LINK_A_PDV_US), tmp, sizeof(tmp)));
	if (has(l, ZTBOND_LINK_A_PLR_PPM))
		item(&ln, "loss %s",
		     ztb_ppm_str(val(l, ZTBOND_LINK_A_PLR_PPM), tmp, sizeof(tmp)));
	if (has(l, ZTBOND_LINK_A_PER_PPM) && val(l, ZTBOND_LINK_A_PER_PPM))
		item(&ln, "errors %s",
		     ztb_ppm_str(val(l, ZTBOND_LINK_A_PER_PPM), tmp, sizeof(tmp)));
	if (has(l, ZTBOND_LINK_A_ELIGIBLE) && !val(l, ZTBOND_LINK_A_ELIGIBLE))
		item(&ln, "ineligible");
	if (has(l, ZTBOND_LINK_A_PUNISHED_MS) && val(l, ZTBOND_LINK_A_PUNISHED_MS))
		item(&ln, "punished %llu ms",
		     (unsigned long long)val(l, ZTBOND_LINK_A_PUNISHED_MS));
	if (has(l, ZTBOND_LINK_A_QUALITY_PPM))
		item(&ln, "quality %s",
		     ztb_ppm_str(val(l, ZTBOND_LINK_A_QUALITY_PPM), tmp,
			     sizeof(tmp)));
	if (has(l, ZTBOND_LINK_A_SHARE_PPM))
		item(&ln, "allocation %s",
		     ztb_ppm_str(val(l, ZTBOND_LINK_A_SHARE_PPM), tmp, sizeof(tmp)));
	if (has(l, ZTBOND_LINK_A_CAPACITY_KBPS) &&
	    val(l, ZTBOND_LINK_A_CAPACITY_KBPS))
		item(&ln, "capacity %llu kbit/s",
		     (unsigned long long)val(l, ZTBOND_LINK_A_CAPACITY_KBPS));
	if (has(l, ZTBOND_LINK_A_FLOWS) && val(l, ZTBOND_LINK_A_FLOWS))
		item(&ln, "flows %llu",
		     (unsigned long long)val(l, ZTBOND_LINK_A_FLOWS));
	if (has(l, ZTBOND_LINK_A_CLIENTS) && val(l, ZTBOND_LINK_A_CLIENTS))
		item(&ln, "clients %llu",
		     (unsigned long long)val(l, ZTBOND_LINK_A_CLIENTS));

	printf("  %c %-15s  %-10s  %-7s  %10s  %12s  %10s  %12s  %7s  %8s%s%s\n",
	       active ? '*' : ' ', name, state, mode, tx_p, tx_b, rx_p, rx_b,
	       drop, fail, ln.len ? "  " : "", ln.buf);
}

/* The base policy of a peer, with its custom name. */
static const char *peer_policy_str(const struct ztb_peer *p, char *buf,
				   size_t len)
{
	char ebuf[32];
	const char *base = ztb_enum_str(&ztb_policy_names, (uint64_t)p->policy,
					ebuf, sizeof(ebuf));

	if (p->name[0])
		snprintf(buf, len, "%s (%s)", p->name, base);
	else
		snprintf(buf, len, "%s", base);
	return buf;
}

static void print_peers_text(const struct ztb_bond *b)
{
	char mbuf[24], pbuf[64], nbuf[IF_NAMESIZE], ebuf[32];
	const char *al;
	unsigned int i;

	if (!b->npeers)
		return;
	printf("    %-17s  %-32s  %-9s  %6s  %s\n", "PEER", "POLICY",
	       "SELECT", "PPL", "ACTIVE");
	for (i = 0; i < b->npeers; i++) {
		const struct ztb_peer *p = &b->peers[i];

		al = p->active ? link_name(b, p->active, nbuf) : NULL;
		printf("    %-17s  %-32s  %-9s  %6u  %s\n",
		       ztb_mac_str(p->mac, mbuf, sizeof(mbuf)),
		       peer_policy_str(p, pbuf, sizeof(pbuf)),
		       ztb_enum_str(&ztb_select_names, (uint64_t)p->link_select,
				    ebuf, sizeof(ebuf)),
		       p->packets_per_link, al ? al : "-");
	}
}

static void print_bond_text(const struct ztb_bond *b)
{
	const struct ztb_obj *o = &b->a;
	struct ztb_line ln = { .len = 0 };
	char ebuf[32], nbuf[IF_NAMESIZE];
	const char *name = str(o, ZTBOND_A_IFNAME);
	unsigned int i;

	if (has(o, ZTBOND_A_POLICY)) {
		item(&ln, "%s", ztb_enum_str(&ztb_policy_names,
					     val(o, ZTBOND_A_POLICY), ebuf,
					     sizeof(ebuf)));
		if (str(o, ZTBOND_A_POLICY_NAME) &&
		    *str(o, ZTBOND_A_POLICY_NAME))
			item(&ln, "(policy %s)", str(o, ZTBOND_A_POLICY_NAME));
	}
	if (has(o, ZTBOND_A_CARRIER))
		item(&ln, "carrier %s",
		     val(o, ZTBOND_A_CARRIER) ? "up" : "down");
	if (has(o, ZTBOND_A_ACTIVE_LINK)) {
		const char *al = NULL;

		if (val(o, ZTBOND_A_ACTIVE_LINK))
			al = link_name(b, val(o, ZTBOND_A_ACTIVE_LINK), nbuf);
		if (al)
			item(&ln, "active %s", al);
		else if (val(o, ZTBOND_A_ACTIVE_LINK))
			item(&ln, "active ifindex %llu",
			     (unsigned long long)val(o, ZTBOND_A_ACTIVE_LINK));
		else if (!has(o, ZTBOND_A_POLICY) ||
			 val(o, ZTBOND_A_POLICY) == ZTBOND_POLICY_NONE ||
			 val(o, ZTBOND_A_POLICY) == ZTBOND_POLICY_ACTIVE_BACKUP)
			item(&ln, "active none");	/* others use all links */
	}
	if (has(o, ZTBOND_A_MTU))
		item(&ln, "mtu %llu", (unsigned long long)val(o, ZTBOND_A_MTU));
	if (has(o, ZTBOND_A_MAC))
		item(&ln, "mac %s", ztb_mac_str(o->mac, ebuf, sizeof(ebuf)));
	if (has(o, ZTBOND_A_AUTH))
		item(&ln, "%s", val(o, ZTBOND_A_AUTH) ? "authenticated" :
			  "unauthenticated (no authKey: any member of the network can forge control frames)");
	if (name)
		printf("%s: %s\n", name, ln.buf);
	else
		printf("ifindex %llu: %s\n",
		       (unsigned long long)val(o, ZTBOND_A_IFINDEX), ln.buf);

	ln.len = 0;
	ln.buf[0] = '\0';
	if (has(o, ZTBOND_A_PACKETS_PER_LINK))
		item(&ln, "packetsPerLink %llu",
		     (unsigned long long)val(o, ZTBOND_A_PACKETS_PER_LINK));
	if (has(o, ZTBOND_A_FAILOVER_INTERVAL))
		item(&ln, "failoverInterval %llu ms",
		     (unsigned long long)val(o, ZTBOND_A_FAILOVER_INTERVAL));
	if (has(o, ZTBOND_A_UP_DELAY))
		item(&ln, "upDelay %llu ms",
		     (unsigned long long)val(o, ZTBOND_A_UP_DELAY));
	if (has(o, ZTBOND_A_DOWN_DELAY))
		item(&ln, "downDelay %llu ms",
		     (unsigned long long)val(o, ZTBOND_A_DOWN_DELAY));
	if (has(o, ZTBOND_A_LINK_SELECT))
		item(&ln, "linkSelectMethod %s",
		     ztb_enum_str(&ztb_select_names,
				  val(o, ZTBOND_A_LINK_SELECT), ebuf,
				  sizeof(ebuf)));
	if (has(o, ZTBOND_A_BALANCE_POLICY))
		item(&ln, "balancePolicy %s",
		     ztb_enum_str(&ztb_balance_names,
				  val(o, ZTBOND_A_BALANCE_POLICY), ebuf,
				  sizeof(ebuf)));
	if (has(o, ZTBOND_A_MONITOR))
		item(&ln, "monitorStrategy %s",
		     ztb_enum_str(&ztb_monitor_names, val(o, ZTBOND_A_MONITOR),
				  ebuf, sizeof(ebuf)));
	if (has(o, ZTBOND_A_POLICY) &&
	    val(o, ZTBOND_A_POLICY) == ZTBOND_POLICY_BALANCE_AWARE &&
	    has(o, ZTBOND_A_FLOWS))
		item(&ln, "flows %llu moved %llu",
		     (unsigned long long)val(o, ZTBOND_A_FLOWS),
		     (unsigned long long)val(o, ZTBOND_A_FLOW_MOVES));
	if (has(o, ZTBOND_A_PUNISH_BASE))
		item(&ln, "punishBase %llu ms",
		     (unsigned long long)val(o, ZTBOND_A_PUNISH_BASE));
	if (has(o, ZTBOND_A_POLICY) &&
	    val(o, ZTBOND_A_POLICY) == ZTBOND_POLICY_BROADCAST &&
	    has(o, ZTBOND_A_DEDUP))
		item(&ln, "dedup %s dropped %llu",
		     val(o, ZTBOND_A_DEDUP) ? "true" : "false",
		     (unsigned long long)val(o, ZTBOND_A_DEDUP_DROPPED));
	if (has(o, ZTBOND_A_POLICY) &&
	    val(o, ZTBOND_A_POLICY) == ZTBOND_POLICY_BALANCE_RR &&
	    has(o, ZTBOND_A_DATA_HEADER) && val(o, ZTBOND_A_DATA_HEADER))
		item(&ln, "dataHeader true");
	if (has(o, ZTBOND_A_REORDER_HELD) &&
	    (val(o, ZTBOND_A_REORDER_HELD) || val(o, ZTBOND_A_REORDER_LOST)))
		item(&ln, "reordered %llu lost %llu late %llu",
		     (unsigned long long)val(o, ZTBOND_A_REORDER_HELD),
		     (unsigned long long)val(o, ZTBOND_A_REORDER_LOST),
		     (unsigned long long)val(o, ZTBOND_A_REORDER_LATE));
	if (ln.len)
		printf("  %s\n", ln.buf);

	ln.len = 0;
	ln.buf[0] = '\0';
	if (has(o, ZTBOND_A_TX_PACKETS) || has(o, ZTBOND_A_TX_BYTES) ||
	    has(o, ZTBOND_A_TX_DROPPED)) {
		char p[24], by[24], d[24];

		u64_col(p, sizeof(p), o, ZTBOND_A_TX_PACKETS);
		u64_col(by, sizeof(by), o, ZTBOND_A_TX_BYTES);
		u64_col(d, sizeof(d), o, ZTBOND_A_TX_DROPPED);
		item(&ln, "tx %s packets %s bytes %s dropped", p, by, d);
	}
	if (has(o, ZTBOND_A_RX_PACKETS) || has(o, ZTBOND_A_RX_BYTES) ||
	    has(o, ZTBOND_A_RX_DROPPED)) {
		char p[24], by[24], d[24];

		u64_col(p, sizeof(p), o, ZTBOND_A_RX_PACKETS);
		u64_col(by, sizeof(by), o, ZTBOND_A_RX_BYTES);
		u64_col(d, sizeof(d), o, ZTBOND_A_RX_DROPPED);
		item(&ln, "rx %s packets %s bytes %s dropped", p, by, d);
	}
	if (ln.len)
		printf("  %s\n", ln.buf);

	if (!b->nlinks) {
		printf("  no links\n");
		return;
	}
	printf("    %-15s  %-10s  %-7s  %10s  %12s  %10s  %12s  %7s  %8s\n",
	       "LINK", "STATE", "MODE", "TX-PACKETS", "TX-BYTES",
	       "RX-PACKETS", "RX-BYTES", "DROPPED", "FAILURES");
	for (i = 0; i < b->nlinks; i++)
		print_link_text(b, &b->links[i]);
	print_peers_text(b);
}

/* ---- JSON output ----------------------------------------------------- */

enum ztb_fmt {
	F_NUM,		/* integer */
	F_BOOL,		/* integer as true/false */
	F_ENUM,		/* integer as its name */
	F_STR,		/* string */
	F_STR_NULL,	/* string, "" as null */
	F_MAC,		/* "aa:bb:cc:dd:ee:ff" */
	F_PPM,		/* ppm as a fraction */
	F_ACTIVE,	/* bond's ACTIVE_LINK ifindex as a link name */
	F_MS,		/* microseconds as milliseconds */
	F_PEER_MAC,	/* the link's peer_mac */
	F_HEX,		/* 64-bit id as 16 hex digits */
};

struct ztb_field {
	const char *key;
	int attr;
	enum ztb_fmt fmt;
	const struct ztb_enum *e;
};

#define FLD(k, a, f)	{ .key = k, .attr = a, .fmt = f }
#define FE(k, a, f, en)	{ .key = k, .attr = a, .fmt = f, .e = en }

static const struct ztb_field bond_fields[] = {
	FLD("name", ZTBOND_A_IFNAME, F_STR),
	FLD("ifindex", ZTBOND_A_IFINDEX, F_NUM),
	FE("policy", ZTBOND_A_POLICY, F_ENUM, &ztb_policy_names),
	FLD("policyName", ZTBOND_A_POLICY_NAME, F_STR_NULL),
	FLD("mtu", ZTBOND_A_MTU, F_NUM),
	FLD("carrier", ZTBOND_A_CARRIER, F_BOOL),
	FLD("mac", ZTBOND_A_MAC, F_MAC),
	FLD("active_link", ZTBOND_A_ACTIVE_LINK, F_ACTIVE),
	FLD("packetsPerLink", ZTBOND_A_PACKETS_PER_LINK, F_NUM),
	FLD("failoverInterval", ZTBOND_A_FAILOVER_INTERVAL, F_NUM),
	FLD("upDelay", ZTBOND_A_UP_DELAY, F_NUM),
	FLD("downDelay", ZTBOND_A_DOWN_DELAY, F_NUM),
	FE("linkSelectMethod", ZTBOND_A_LINK_SELECT, F_ENUM, &ztb_select_names),
	FE("balancePolicy", ZTBOND_A_BALANCE_POLICY, F_ENUM, &ztb_balance_names),
	FE("monitorStrategy", ZTBOND_A_MONITOR, F_ENUM, &ztb_monitor_names),
	FLD("tx_packets", ZTBOND_A_TX_PACKETS, F_NUM),
	FLD("tx_bytes", ZTBOND_A_TX_BYTES, F_NUM),
	FLD("rx_packets", ZTBOND_A_RX_PACKETS, F_NUM),
	FLD("rx_bytes", ZTBOND_A_RX_BYTES, F_NUM),
	FLD("tx_dropped", ZTBOND_A_TX_DROPPED, F_NUM),
	FLD("rx_dropped", ZTBOND_A_RX_DROPPED, F_NUM),
	FLD("punishBase", ZTBOND_A_PUNISH_BASE, F_NUM),
	FLD("punishMax", ZTBOND_A_PUNISH_MAX, F_NUM),
	FLD("authenticated", ZTBOND_A_AUTH, F_BOOL),
	FLD("bond_id", ZTBOND_A_BOND_ID, F_HEX),
	FLD("flowTableSize", ZTBOND_A_FLOW_MAX, F_NUM),
	FLD("flowExpiry", ZTBOND_A_FLOW_EXPIRE, F_NUM),
	FLD("flows", ZTBOND_A_FLOWS, F_NUM),
	FLD("flow_moves", ZTBOND_A_FLOW_MOVES, F_NUM),
	FLD("dedup", ZTBOND_A_DEDUP, F_BOOL),
	FLD("dedup_dropped", ZTBOND_A_DEDUP_DROPPED, F_NUM),
	FLD("dataHeader", ZTBOND_A_DATA_HEADER, F_BOOL),
	FLD("reorderTimeout", ZTBOND_A_REORDER_TIMEOUT, F_NUM),
	FLD("reorder_held", ZTBOND_A_REORDER_HELD, F_NUM),
	FLD("reorder_lost", ZTBOND_A_REORDER_LOST, F_NUM),
	FLD("reorder_late", ZTBOND_A_REORDER_LATE, F_NUM),
	{ .key = NULL }
};

static const struct ztb_field link_fields[] = {
	FLD("name", ZTBOND_LINK_A_IFNAME, F_STR),
	FLD("ifindex", ZTBOND_LINK_A_IFINDEX, F_NUM),
	FE("state", ZTBOND_LINK_A_STATE, F_ENUM, &ztb_state_names),
	FLD("active", ZTBOND_LINK_A_ACTIVE, F_BOOL),
	FE("mode", ZTBOND_LINK_A_MODE, F_ENUM, &ztb_mode_names),
	FLD("failoverTo", ZTBOND_LINK_A_FAILOVER_TO, F_STR_NULL),
	FLD("enabled", ZTBOND_LINK_A_ENABLED, F_BOOL),
	FLD("ipvPref", ZTBOND_LINK_A_IPV_PREF, F_NUM),
	FLD("speed", ZTBOND_LINK_A_SPEED, F_NUM),
	FLD("alloc", ZTBOND_LINK_A_ALLOC, F_PPM),
	FLD("upDelay", ZTBOND_LINK_A_UP_DELAY, F_NUM),
	FLD("downDelay", ZTBOND_LINK_A_DOWN_DELAY, F_NUM),
	FLD("failoverInterval", ZTBOND_LINK_A_FAILOVER_INTERVAL, F_NUM),
	FLD("mac", ZTBOND_LINK_A_MAC, F_MAC),
	FLD("mtu", ZTBOND_LINK_A_MTU, F_NUM),
	FLD("tx_packets", ZTBOND_LINK_A_TX_PACKETS, F_NUM),
	FLD("tx_bytes", ZTBOND_LINK_A_TX_BYTES, F_NUM),
	FLD("rx_packets", ZTBOND_LINK_A_RX_PACKETS, F_NUM),
	FLD("rx_bytes", ZTBOND_LINK_A_RX_BYTES, F_NUM),
	FLD("tx_dropped", ZTBOND_LINK_A_TX_DROPPED, F_NUM),
	FLD("failures", ZTBOND_LINK_A_FAILURES, F_NUM),
	FLD("eligible", ZTBOND_LINK_A_ELIGIBLE, F_BOOL),
	FLD("punished_ms", ZTBOND_LINK_A_PUNISHED_MS, F_NUM),
	FLD("peer", ZTBOND_LINK_A_PEER_MAC, F_PEER_MAC),
	FLD("peer_id", ZTBOND_LINK_A_PEER_ID, F_HEX),
	FLD("paths", ZTBOND_LINK_A_PATHS, F_NUM),
	FLD("rtt_ms", ZTBOND_LINK_A_LATENCY_US, F_MS),
	FLD("ltm_ms", ZTBOND_LINK_A_LTM_US, F_MS),
	FLD("pdv_ms", ZTBOND_LINK_A_PDV_US, F_MS),
	FLD("loss_ratio", ZTBOND_LINK_A_PLR_PPM, F_PPM),
	FLD("error_ratio", ZTBOND_LINK_A_PER_PPM, F_PPM),
	FLD("availability", ZTBOND_LINK_A_AVAIL_PPM, F_PPM),
	FLD("probes", ZTBOND_LINK_A_PROBES, F_NUM),
	FLD("quality", ZTBOND_LINK_A_QUALITY_PPM, F_PPM),
	FLD("allocation", ZTBOND_LINK_A_SHARE_PPM, F_PPM),
	FLD("capacity_kbps", ZTBOND_LINK_A_CAPACITY_KBPS, F_NUM),
	FLD("flows", ZTBOND_LINK_A_FLOWS, F_NUM),
	FLD("clients", ZTBOND_LINK_A_CLIENTS, F_NUM),
	FLD("ctl_tx", ZTBOND_LINK_A_CTL_TX, F_NUM),
	FLD("ctl_rx", ZTBOND_LINK_A_CTL_RX, F_NUM),
	FLD("ctl_bad", ZTBOND_LINK_A_CTL_BAD, F_NUM),
	FLD("ctl_auth_fail", ZTBOND_LINK_A_CTL_AUTH_FAIL, F_NUM),
	FLD("ctl_replay", ZTBOND_LINK_A_CTL_REPLAY, F_NUM),
	FLD("probes_sent", ZTBOND_LINK_A_PROBES_SENT, F_NUM),
	FLD("rtt_echoes", ZTBOND_LINK_A_RTT_ECHOES, F_NUM),
	FLD("loss_data_frames", ZTBOND_LINK_A_DATA_LOST, F_NUM),
	{ .key = NULL }
};

static json_object *field_json(const struct ztb_field *f,
			       const struct ztb_obj *o,
			       const struct ztb_bond *b)
{
	char buf[32], nbuf[IF_NAMESIZE];
	const char *s;
	uint64_t v = val(o, f->attr);

	switch (f->fmt) {
	case F_NUM:
		return json_object_new_uint64(v);
	case F_BOOL:
		return json_object_new_boolean(v != 0);
	case F_ENUM:
		return json_object_new_string(ztb_enum_str(f->e, v, buf,
							   sizeof(buf)));
	case F_STR:
		return json_object_new_string(str(o, f->attr));
	case F_STR_NULL:
		s = str(o, f->attr);
		return *s ? json_object_new_string(s) : NULL;
	case F_MAC:
		return json_object_new_string(ztb_mac_str(o->mac, buf,
						      sizeof(buf)));
	case F_PPM:
		return ztb_json_ppm(v);
	case F_ACTIVE:
		s = v ? link_name(b, v, nbuf) : NULL;
		return s ? json_object_new_string(s) : NULL;
	case F_MS:
		return ztb_json_ms(v);
	case F_PEER_MAC:
		return json_object_new_string(ztb_mac_str(o->peer_mac, buf,
						      sizeof(buf)));
	case F_HEX:
		snprintf(buf, sizeof(buf), "%016llx", (unsigned long long)v);
		return json_object_new_string(buf);
	}
	return NULL;
}

static json_object *obj_json(const struct ztb_field *fields,
			     const struct ztb_obj *o, const struct ztb_bond *b)
{
	json_object *j = json_object_new_object();
	const struct ztb_field *f;

	for (f = fields; f->key; f++)
		if (has(o, f->attr))
			json_object_object_add(j, f->key, field_json(f, o, b));
	return j;
}

json_object *ztb_json_ppm(uint64_t ppm)
{
	char buf[32];

	return json_object_new_double_s((double)ppm / ZTBOND_PPM,
					ztb_ppm_str(ppm, buf, sizeof(buf)));
}

json_object *ztb_json_ms(uint64_t us)
{
	char buf[32];

	return json_object_new_double_s((double)us / 1000,
					us_str(us, buf, sizeof(buf)));
}

/*
 * "quality": the weights (fractions summing to 1) and the maxima a path
 * is measured against (0 = none), in the units of bond show.
 */
static json_object *quality_json(const struct ztb_bond *b)
{
	static const char *const w[] = {
		[ZTBOND_Q_A_W_LAT] = "lat", [ZTBOND_Q_A_W_LTM] = "ltm",
		[ZTBOND_Q_A_W_PDV] = "pdv", [ZTBOND_Q_A_W_PLR] = "plr",
		[ZTBOND_Q_A_W_PER] = "per", [ZTBOND_Q_A_W_AVL] = "avl",
	};
	json_object *j = json_object_new_object();
	json_object *weights = json_object_new_object();
	int i;

	for (i = ZTBOND_Q_A_W_LAT; i <= ZTBOND_Q_A_W_AVL; i++)
		json_object_object_add(weights, w[i], ztb_json_ppm(b->q[i]));
	json_object_object_add(j, "weights", weights);
	json_object_object_add(j, "weights_default",
			       json_object_new_boolean(b->q[ZTBOND_Q_A_W_DEFAULT]));
	json_object_object_add(j, "rtt_max_ms", ztb_json_ms(b->q[ZTBOND_Q_A_LAT_MAX_US]));
	json_object_object_add(j, "ltm_max_ms", ztb_json_ms(b->q[ZTBOND_Q_A_LTM_MAX_US]));
	json_object_object_add(j, "pdv_max_ms", ztb_json_ms(b->q[ZTBOND_Q_A_PDV_MAX_US]));
	json_object_object_add(j, "loss_max", ztb_json_ppm(b->q[ZTBOND_Q_A_PLR_MAX_PPM]));
	json_object_object_add(j, "error_max", ztb_json_ppm(b->q[ZTBOND_Q_A_PER_MAX_PPM]));
	json_object_object_add(j, "availability_min", ztb_json_ppm(b->q[ZTBOND_Q_A_AVL_MIN_PPM]));
	return j;
}

/* peerSpecificBonds in force: policy is the custom name, else the base. */
static json_object *peers_json(const struct ztb_bond *b)
{
	json_object *a = json_object_new_array();
	char mbuf[24], ebuf[32], nbuf[IF_NAMESIZE];
	const char *al;
	unsigned int i;

	for (i = 0; i < b->npeers; i++) {
		const struct ztb_peer *p = &b->peers[i];
		json_object *j = json_object_new_object();
		const char *base = ztb_enum_str(&ztb_policy_names,
						(uint64_t)p->policy, ebuf,
						sizeof(ebuf));

		json_object_object_add(j, "peer", json_object_new_string(
			ztb_mac_str(p->mac, mbuf, sizeof(mbuf))));
		json_object_object_add(j, "policy", json_object_new_string(
			p->name[0] ? p->name : base));
		json_object_object_add(j, "base_policy",
				       json_object_new_string(base));
		json_object_object_add(j, "packets_per_link",
				       json_object_new_int64(p->packets_per_link));
		json_object_object_add(j, "link_select", json_object_new_string(
			ztb_enum_str(&ztb_select_names, (uint64_t)p->link_select,
				     ebuf, sizeof(ebuf))));
		al = p->active ? link_name(b, p->active, nbuf) : NULL;
		json_object_object_add(j, "active_link",
				       al ? json_object_new_string(al) : NULL);
		json_object_array_add(a, j);
	}
	return a;
}

static json_object *bond_json(const struct ztb_bond *b)
{
	json_object *j = obj_json(bond_fields, &b->a, b);
	json_object *links = json_object_new_array();
	unsigned int i;

	if (b->has_q)
		json_object_object_add(j, "quality", quality_json(b));
	for (i = 0; i < b->nlinks; i++)
		json_object_array_add(links,
				      obj_json(link_fields, &b->links[i], b));
	json_object_object_add(j, "links", links);
	if (b->has_peers)
		json_object_object_add(j, "peers", peers_json(b));
	return j;
}

int ztb_json_print(json_object *j, int flags)
{
	const char *s = json_object_to_json_string_ext(j, flags |
						       JSON_C_TO_STRING_NOSLASHESCAPE);

	if (!s)
		return -1;
	printf("%s\n", s);
	return 0;
}

int ztb_print_bonds(const struct ztb_bondlist *l, bool json, bool single)
{
	unsigned int i;
	json_object *j;
	int err;

	if (!json) {
		for (i = 0; i < l->n; i++) {
			if (i)
				printf("\n");
			print_bond_text(&l->b[i]);
		}
		return 0;
	}
	if (single && l->n == 1) {
		j = bond_json(&l->b[0]);
	} else {
		j = json_object_new_array();
		for (i = 0; i < l->n; i++)
			json_object_array_add(j, bond_json(&l->b[i]));
	}
	err = ztb_json_print(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED);
	json_object_put(j);
	return err;
}

/* ---- events ---------------------------------------------------------- */

/* When the event was read: UTC, ISO 8601 with milliseconds. */
static void event_time(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

int ztb_print_event(struct nlattr **tb, void *arg)
{
	struct nlattr *ltb[ZTBOND_LINK_A_MAX + 1];
	const struct ztb_mon_opts *mo = arg;
	struct ztb_bond b;
	struct ztb_obj link;
	bool has_link = false;
	char ebuf[32], sbuf[32], nbuf[IF_NAMESIZE];
	const char *ev, *bname, *lname = NULL, *state = NULL, *al = NULL;
	char when[40];
	bool has_al;
	int err;

	err = bond_load(&b, tb);
	if (err)
		return err;
	bname = str(&b.a, ZTBOND_A_IFNAME);
	if (mo->bond && (!bname || strcmp(bname, mo->bond))) {
		bond_free(&b);
		return 0;
	}
	event_time(when, sizeof(when));
	memset(&link, 0, sizeof(link));
	if (tb[ZTBOND_A_LINK] &&
	    nla_parse_nested(ltb, ZTBOND_LINK_A_MAX, tb[ZTBOND_A_LINK],
			     NULL) >= 0) {
		err = obj_load(&link, ltb, ZTBOND_LINK_A_MAX, link_types);
		if (err) {
			obj_free(&link);
			bond_free(&b);
			return err;
		}
		has_link = true;
	}

	ev = has(&b.a, ZTBOND_A_EVENT) ?
	     ztb_enum_str(&ztb_event_names, val(&b.a, ZTBOND_A_EVENT), ebuf,
			  sizeof(ebuf)) : "event";
	if (has_link) {
		lname = str(&link, ZTBOND_LINK_A_IFNAME);
		if (has(&link, ZTBOND_LINK_A_STATE))
			state = ztb_enum_str(&ztb_state_names,
					     val(&link, ZTBOND_LINK_A_STATE),
					     sbuf, sizeof(sbuf));
	}
	has_al = has(&b.a, ZTBOND_A_ACTIVE_LINK);
	if (has_al && val(&b.a, ZTBOND_A_ACTIVE_LINK)) {
		uint64_t ai = val(&b.a, ZTBOND_A_ACTIVE_LINK);

		if (has_link && has(&link, ZTBOND_LINK_A_IFINDEX) &&
		    val(&link, ZTBOND_LINK_A_IFINDEX) == ai && lname)
			al = lname;
		else
			al = link_name(&b, ai, nbuf);
	}

	if (mo->json) {
		json_object *j = json_object_new_object();

		json_object_object_add(j, "time", json_object_new_string(when));
		json_object_object_add(j, "event", json_object_new_string(ev));
		if (bname)
			json_object_object_add(j, "bond",
					       json_object_new_string(bname));
		if (has(&b.a, ZTBOND_A_IFINDEX))
			json_object_object_add(j, "ifindex",
				json_object_new_uint64(val(&b.a, ZTBOND_A_IFINDEX)));
		if (lname)
			json_object_object_add(j, "link",
					       json_object_new_string(lname));
		if (has_link && has(&link, ZTBOND_LINK_A_IFINDEX))
			json_object_object_add(j, "link_ifindex",
				json_object_new_uint64(val(&link, ZTBOND_LINK_A_IFINDEX)));
		if (state)
			json_object_object_add(j, "state",
					       json_object_new_string(state));
		if (has_link && has(&link, ZTBOND_LINK_A_ACTIVE))
			json_object_object_add(j, "active",
				json_object_new_boolean(val(&link, ZTBOND_LINK_A_ACTIVE) != 0));
		if (has_link && has(&link, ZTBOND_LINK_A_ELIGIBLE))
			json_object_object_add(j, "eligible",
				json_object_new_boolean(val(&link, ZTBOND_LINK_A_ELIGIBLE) != 0));
		if (has_link && has(&link, ZTBOND_LINK_A_PUNISHED_MS))
			json_object_object_add(j, "punished_ms",
				json_object_new_uint64(val(&link, ZTBOND_LINK_A_PUNISHED_MS)));
		if (has_al)
			json_object_object_add(j, "active_link",
				al ? json_object_new_string(al) : NULL);
		if (has(&b.a, ZTBOND_A_POLICY))
			json_object_object_add(j, "policy",
				json_object_new_string(ztb_enum_str(&ztb_policy_names,
					val(&b.a, ZTBOND_A_POLICY), sbuf, sizeof(sbuf))));
		err = ztb_json_print(j, JSON_C_TO_STRING_PLAIN);
		json_object_put(j);
	} else {
		struct ztb_line ln = { .len = 0, .sep = " " };
		uint64_t e = val(&b.a, ZTBOND_A_EVENT);

		item(&ln, "%s", when);
		item(&ln, "%s", ev);
		if (bname)
			item(&ln, "%s", bname);
		else if (has(&b.a, ZTBOND_A_IFINDEX))
			item(&ln, "ifindex %llu",
			     (unsigned long long)val(&b.a, ZTBOND_A_IFINDEX));
		if (lname)
			item(&ln, "link %s", lname);
		else if (has_link && has(&link, ZTBOND_LINK_A_IFINDEX))
			item(&ln, "link ifindex %llu",
			     (unsigned long long)val(&link, ZTBOND_LINK_A_IFINDEX));
		if (state)
			item(&ln, "state %s", state);
		if (e == ZTBOND_EVENT_LINK_ELIGIBLE && has(&link, ZTBOND_LINK_A_ELIGIBLE))
			item(&ln, "eligible %s",
			     val(&link, ZTBOND_LINK_A_ELIGIBLE) ? "yes" : "no");
		if (e == ZTBOND_EVENT_LINK_PUNISHED &&
		    has(&link, ZTBOND_LINK_A_PUNISHED_MS))
			item(&ln, "punished %llu ms", (unsigned long long)
			     val(&link, ZTBOND_LINK_A_PUNISHED_MS));
		if (has_al) {
			if (al)
				item(&ln, "active %s", al);
			else if (val(&b.a, ZTBOND_A_ACTIVE_LINK))
				item(&ln, "active ifindex %llu",
				     (unsigned long long)val(&b.a, ZTBOND_A_ACTIVE_LINK));
			else
				item(&ln, "active none");
		}
		if (has(&b.a, ZTBOND_A_POLICY) &&
		    (e == ZTBOND_EVENT_BOND_NEW || e == ZTBOND_EVENT_BOND_CHANGE ||
		     e == ZTBOND_EVENT_CONFIG_APPLIED))
			item(&ln, "policy %s",
			     ztb_enum_str(&ztb_policy_names,
					  val(&b.a, ZTBOND_A_POLICY), sbuf,
					  sizeof(sbuf)));
		printf("%s\n", ln.buf);
		err = 0;
	}
	fflush(stdout);
	obj_free(&link);
	bond_free(&b);
	return err;
}
