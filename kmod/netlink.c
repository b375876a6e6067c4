// SPDX-License-Identifier: GPL-2.0
/*
 * ztbond: the "ztbond" generic netlink family (uapi/linux/ztbond.h).
 *
 * Requests are parsed and validated completely into a copy of the current
 * configuration before anything is applied, so a rejected request changes
 * nothing; every rejection carries an extack message.
 */
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "ztbond_priv.h"

static struct genl_family ztbond_genl_family;

enum ztbond_mcgrp {
	ZTBOND_MCGRP_EVENTS_IDX,
};

static const struct genl_multicast_group ztbond_mcgrps[] = {
	[ZTBOND_MCGRP_EVENTS_IDX] = { .name = ZTBOND_GENL_MCGRP_EVENTS },
};

static const struct nla_policy ztbond_link_nl_policy[ZTBOND_LINK_A_MAX + 1] = {
	[ZTBOND_LINK_A_IFINDEX]		  = { .type = NLA_U32 },
	[ZTBOND_LINK_A_IFNAME]		  = { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 },
	[ZTBOND_LINK_A_MODE]		  = { .type = NLA_U8 },
	[ZTBOND_LINK_A_FAILOVER_TO]	  = { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 },
	[ZTBOND_LINK_A_ENABLED]		  = { .type = NLA_U8 },
	[ZTBOND_LINK_A_IPV_PREF]	  = { .type = NLA_U8 },
	[ZTBOND_LINK_A_SPEED]		  = { .type = NLA_U32 },
	[ZTBOND_LINK_A_ALLOC]		  = { .type = NLA_U32 },
	[ZTBOND_LINK_A_UP_DELAY]	  = { .type = NLA_U32 },
	[ZTBOND_LINK_A_DOWN_DELAY]	  = { .type = NLA_U32 },
	[ZTBOND_LINK_A_FAILOVER_INTERVAL] = { .type = NLA_U32 },
};

static const struct nla_policy ztbond_q_nl_policy[ZTBOND_Q_A_MAX + 1] = {
	[ZTBOND_Q_A_W_LAT]		= { .type = NLA_U32 },
	[ZTBOND_Q_A_W_LTM]		= { .type = NLA_U32 },
	[ZTBOND_Q_A_W_PDV]		= { .type = NLA_U32 },
	[ZTBOND_Q_A_W_PLR]		= { .type = NLA_U32 },
	[ZTBOND_Q_A_W_PER]		= { .type = NLA_U32 },
	[ZTBOND_Q_A_W_AVL]		= { .type = NLA_U32 },
	[ZTBOND_Q_A_LAT_MAX_US]		= { .type = NLA_U32 },
	[ZTBOND_Q_A_LTM_MAX_US]		= { .type = NLA_U32 },
	[ZTBOND_Q_A_PDV_MAX_US]		= { .type = NLA_U32 },
	[ZTBOND_Q_A_PLR_MAX_PPM]	= { .type = NLA_U32 },
	[ZTBOND_Q_A_PER_MAX_PPM]	= { .type = NLA_U32 },
	[ZTBOND_Q_A_AVL_MIN_PPM]	= { .type = NLA_U32 },
	[ZTBOND_Q_A_W_DEFAULT]		= NLA_POLICY_MAX(NLA_U8, 1),
};

static const struct nla_policy ztbond_peer_nl_policy[ZTBOND_PEER_A_MAX + 1] = {
	[ZTBOND_PEER_A_MAC]		 = NLA_POLICY_EXACT_LEN(ETH_ALEN),
	[ZTBOND_PEER_A_POLICY]		 = { .type = NLA_U8 },
	[ZTBOND_PEER_A_POLICY_NAME]	 = { .type = NLA_NUL_STRING,
					     .len = ZTBOND_POLICY_NAME_MAX - 1 },
	[ZTBOND_PEER_A_PACKETS_PER_LINK] = { .type = NLA_U32 },
	[ZTBOND_PEER_A_LINK_SELECT]	 = NLA_POLICY_MAX(NLA_U8, ZTBOND_SELECT_MAX),
	[ZTBOND_PEER_A_BALANCE_POLICY]	 = NLA_POLICY_MAX(NLA_U8, ZTBOND_BALANCE_MAX),
};

static const struct nla_policy ztbond_nl_policy[ZTBOND_A_MAX + 1] = {
	[ZTBOND_A_IFINDEX]		= { .type = NLA_U32 },
	[ZTBOND_A_IFNAME]		= { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 },
	[ZTBOND_A_POLICY]		= { .type = NLA_U8 },
	[ZTBOND_A_POLICY_NAME]		= { .type = NLA_NUL_STRING,
					    .len = ZTBOND_POLICY_NAME_MAX - 1 },
	[ZTBOND_A_PACKETS_PER_LINK]	= { .type = NLA_U32 },
	[ZTBOND_A_FAILOVER_INTERVAL]	= { .type = NLA_U32 },
	[ZTBOND_A_UP_DELAY]		= { .type = NLA_U32 },
	[ZTBOND_A_DOWN_DELAY]		= { .type = NLA_U32 },
	[ZTBOND_A_LINK_SELECT]		= { .type = NLA_U8 },
	[ZTBOND_A_LINK]			= NLA_POLICY_NESTED(ztbond_link_nl_policy),
	[ZTBOND_A_LINKS]		= { .type = NLA_NESTED },
	[ZTBOND_A_MONITOR]		= NLA_POLICY_MAX(NLA_U8, ZTBOND_MONITOR_MAX),
	[ZTBOND_A_AUTH_KEY]		= { .type = NLA_BINARY,
					    .len = ZTBOND_AUTH_KEY_LEN },
	[ZTBOND_A_PUNISH_BASE]		= { .type = NLA_U32 },
	[ZTBOND_A_PUNISH_MAX]		= { .type = NLA_U32 },
	[ZTBOND_A_QUALITY]		= NLA_POLICY_NESTED(ztbond_q_nl_policy),
	[ZTBOND_A_BALANCE_POLICY]	= NLA_POLICY_MAX(NLA_U8, ZTBOND_BALANCE_MAX),
	[ZTBOND_A_FLOW_MAX]		= { .type = NLA_U32 },
	[ZTBOND_A_FLOW_EXPIRE]		= { .type = NLA_U32 },
	[ZTBOND_A_PEERS]		= { .type = NLA_NESTED },
	[ZTBOND_A_PEER]			= NLA_POLICY_NESTED(ztbond_peer_nl_policy),
	[ZTBOND_A_DEDUP]		= NLA_POLICY_MAX(NLA_U8, 1),
	[ZTBOND_A_DATA_HEADER]		= NLA_POLICY_MAX(NLA_U8, 1),
	[ZTBOND_A_REORDER_TIMEOUT]	=
		NLA_POLICY_RANGE(NLA_U32, 1, ZTBOND_MAX_REORDER_TIMEOUT_MS),
};

/* enum ztbond_quality_attr -> engine metric, for weights and for limits */
static const u8 ztbond_q_weight_metric[] = {
	[ZTBOND_Q_A_W_LAT] = ZTBE_M_LAT, [ZTBOND_Q_A_W_LTM] = ZTBE_M_LTM,
	[ZTBOND_Q_A_W_PDV] = ZTBE_M_PDV, [ZTBOND_Q_A_W_PLR] = ZTBE_M_PLR,
	[ZTBOND_Q_A_W_PER] = ZTBE_M_PER, [ZTBOND_Q_A_W_AVL] = ZTBE_M_AVL,
};

/* ---- lookup ------------------------------------------------------------- */

static struct ztbond *ztbond_nl_bond(struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	struct nlattr **attrs = info->attrs;
	struct net_device *dev = NULL;

	if (attrs[ZTBOND_A_IFINDEX]) {
		dev = __dev_get_by_index(net, nla_get_u32(attrs[ZTBOND_A_IFINDEX]));
	} else if (attrs[ZTBOND_A_IFNAME]) {
		dev = __dev_get_by_name(net, nla_data(attrs[ZTBOND_A_IFNAME]));
	} else {
		NL_SET_ERR_MSG(info->extack, "ztbond: bond not named (ifindex or ifname needed)");
		return ERR_PTR(-EINVAL);
	}
	if (!dev) {
		NL_SET_ERR_MSG(info->extack, "ztbond: no such device");
		return ERR_PTR(-ENODEV);
	}
	if (!netif_is_ztbond(dev)) {
		NL_SET_ERR_MSG(info->extack, "ztbond: device is not a ztbond");
		return ERR_PTR(-EINVAL);
	}
	return netdev_priv(dev);
}

/* Parse one link nest and find the device it names. */
static struct net_device *ztbond_nl_dev_of(struct net *net, struct nlattr *nest,
					   struct nlattr **tb,
					   struct netlink_ext_ack *extack)
{
	struct net_device *dev = NULL;
	int err;

	err = nla_parse_nested(tb, ZTBOND_LINK_A_MAX, nest,
			       ztbond_link_nl_policy, extack);
	if (err)
		return ERR_PTR(err);
	if (tb[ZTBOND_LINK_A_IFINDEX]) {
		dev = __dev_get_by_index(net, nla_get_u32(tb[ZTBOND_LINK_A_IFINDEX]));
	} else if (tb[ZTBOND_LINK_A_IFNAME]) {
		dev = __dev_get_by_name(net, nla_data(tb[ZTBOND_LINK_A_IFNAME]));
	} else {
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "ztbond: link not named (ifindex or ifname needed)");
		return ERR_PTR(-EINVAL);
	}
	if (!dev) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "ztbond: no such link device");
		return ERR_PTR(-ENODEV);
	}
	return dev;
}

/* The request's ZTBOND_A_LINK nest and the device it names. */
static struct net_device *ztbond_nl_link_dev(struct genl_info *info,
					     struct nlattr **tb)
{
	if (!info->attrs[ZTBOND_A_LINK]) {
		NL_SET_ERR_MSG(info->extack, "ztbond: link not given");
		return ERR_PTR(-EINVAL);
	}
	return ztbond_nl_dev_of(genl_info_net(info), info->attrs[ZTBOND_A_LINK],
				tb, info->extack);
}

/* ---- configuration parsing --------------------------------------------- */

/*
 * msg must be a string literal: extack keeps the pointer. Per-link values
 * (inherit true) may be ZTBOND_INHERIT to follow the bond's value again.
 */
static int ztbond_nl_interval(struct nlattr *a, u32 min, bool inherit,
			      u32 *out, const char *msg,
			      struct netlink_ext_ack *extack)
{
	u32 v;

	if (!a)
		return 0;
	v = nla_get_u32(a);
	if (inherit && v == ZTBOND_INHERIT) {
		*out = v;
		return 0;
	}
	if (v < min || v > ZTBOND_MAX_INTERVAL_MS) {
		if (extack) {
			extack->_msg = msg;
			extack->bad_attr = a;
		}
		return -ERANGE;
	}
	*out = v;
	return 0;
}

/*
 * Weights are given as a set (the ones left out are 0) and must sum to 1.0,
 * or W_DEFAULT asks for the policy's (filled in once the policy is known:
 * ztbond_cfg_default_weights()); each limit may be given alone. 0 as a
 * limit means "no limit".
 */
static int ztbond_nl_parse_quality(struct nlattr *nest, struct ztbond_cfg *cfg,
				   struct netlink_ext_ack *extack)
{
	struct nlattr *tb[ZTBOND_Q_A_MAX + 1];
	struct ztbe_qparams q = cfg->qp;
	bool weights = false, def = false;
	int i, err;

	if (!nest)
		return 0;
	err = nla_parse_nested(tb, ZTBOND_Q_A_MAX, nest, ztbond_q_nl_policy,
			       extack);
	if (err)
		return err;
	for (i = ZTBOND_Q_A_W_LAT; i <= ZTBOND_Q_A_W_AVL; i++)
		weights |= !!tb[i];
	if (tb[ZTBOND_Q_A_W_DEFAULT])
		def = nla_get_u8(tb[ZTBOND_Q_A_W_DEFAULT]);
	if (def && weights) {
		NL_SET_ERR_MSG_ATTR(extack, tb[ZTBOND_Q_A_W_DEFAULT],
				    "ztbond: quality weights given together with the policy's defaults");
		return -EINVAL;
	}
	if (weights) {
		for (i = ZTBOND_Q_A_W_LAT; i <= ZTBOND_Q_A_W_AVL; i++)
			q.weight[ztbond_q_weight_metric[i]] =
				tb[i] ? nla_get_u32(tb[i]) : 0;
		if (!ztbe_qparams_valid(&q)) {
			NL_SET_ERR_MSG_ATTR(extack, nest,
					    "ztbond: quality weights must sum to 1.0 (1000000 ppm)");
			return -EINVAL;
		}
	}
	for (i = ZTBOND_Q_A_PLR_MAX_PPM; i <= ZTBOND_Q_A_AVL_MIN_PPM; i++) {
		if (tb[i] && nla_get_u32(tb[i]) > ZTBOND_PPM) {
			NL_SET_ERR_MSG_ATTR(extack, tb[i],
					    "ztbond: a ratio must be 0..1000000 ppm");
			return -ERANGE;
		}
	}
	if (tb[ZTBOND_Q_A_LAT_MAX_US])
		q.max[ZTBE_M_LAT] = nla_get_u32(tb[ZTBOND_Q_A_LAT_MAX_US]);
	if (tb[ZTBOND_Q_A_LTM_MAX_US])
		q.max[ZTBE_M_LTM] = nla_get_u32(tb[ZTBOND_Q_A_LTM_MAX_US]);
	if (tb[ZTBOND_Q_A_PDV_MAX_US])
		q.max[ZTBE_M_PDV] = nla_get_u32(tb[ZTBOND_Q_A_PDV_MAX_US]);
	if (tb[ZTBOND_Q_A_PLR_MAX_PPM])
		q.max[ZTBE_M_PLR] = nla_get_u32(tb[ZTBOND_Q_A_PLR_MAX_PPM]);
	if (tb[ZTBOND_Q_A_PER_MAX_PPM])
		q.max[ZTBE_M_PER] = nla_get_u32(tb[ZTBOND_Q_A_PER_MAX_PPM]);
	/* availability is scored as unavailability: a minimum becomes a maximum */
	if (tb[ZTBOND_Q_A_AVL_MIN_PPM]) {
		u32 v = nla_get_u32(tb[ZTBOND_Q_A_AVL_MIN_PPM]);

		q.max[ZTBE_M_AVL] = v ? ZTBOND_PPM - v : 0;
	}
	cfg->qp = q;
	if (weights || def)
		cfg->qw_default = def;
	return 0;
}

static int ztbond_nl_parse_cfg(struct nlattr **attrs, struct ztbond_cfg *cfg,
			       struct netlink_ext_ack *extack)
{
	struct nlattr *a;
	int err;

	a = attrs[ZTBOND_A_POLICY];
	if (a) {
		u8 p = nla_get_u8(a);

		if (!ztbond_policy_ops(p)) {
			NL_SET_ERR_MSG_ATTR(extack, a, "ztbond: unknown policy");
			return -EINVAL;
		}
		cfg->policy = p;
	}
	a = attrs[ZTBOND_A_POLICY_NAME];
	if (a)
		nla_strscpy(cfg->policy_name, a, sizeof(cfg->policy_name));
	a = attrs[ZTBOND_A_PACKETS_PER_LINK];
	if (a) {
		if (nla_get_u32(a) > ZTBOND_MAX_PACKETS_PER_LINK) {
			NL_SET_ERR_MSG_ATTR(extack, a, "ztbond: packetsPerLink must be 0..65535");
			return -ERANGE;
		}
		cfg->packets_per_link = nla_get_u32(a);
	}
	a = attrs[ZTBOND_A_LINK_SELECT];
	if (a) {
		if (nla_get_u8(a) > ZTBOND_SELECT_MAX) {
			NL_SET_ERR_MSG_ATTR(extack, a,
					    "ztbond: linkSelectMethod: always|better|failure|optimize");
			return -EINVAL;
		}
		cfg->link_select = nla_get_u8(a);
	}
	err = ztbond_nl_interval(attrs[ZTBOND_A_FAILOVER_INTERVAL],
				 ZTBOND_MIN_FAILOVER_INTERVAL_MS, false,
				 &cfg->failover_interval,
				 "ztbond: failoverInterval must be 250..3600000 ms",
				 extack);
	if (!err)
		err = ztbond_nl_interval(attrs[ZTBOND_A_UP_DELAY], 0, false,
					 &cfg->up_delay,
					 "ztbond: upDelay must be 0..3600000 ms",
					 extack);
	if (!err)
		err = ztbond_nl_interval(attrs[ZTBOND_A_DOWN_DELAY], 0, false,
					 &cfg->down_delay,
					 "ztbond: downDelay must be 0..3600000 ms",
					 extack);
	if (err)
		return err;
	if (attrs[ZTBOND_A_MONITOR])
		cfg->monitor = nla_get_u8(attrs[ZTBOND_A_MONITOR]);
	if (attrs[ZTBOND_A_BALANCE_POLICY])
		cfg->balance = nla_get_u8(attrs[ZTBOND_A_BALANCE_POLICY]);
	a = attrs[ZTBOND_A_FLOW_MAX];
	if (a) {
		u32 v = nla_get_u32(a);

		if (v < ZTBOND_MIN_FLOW_MAX || v > ZTBOND_MAX_FLOW_MAX ||
		    !is_power_of_2(v)) {
			NL_SET_ERR_MSG_ATTR(extack, a,
					    "ztbond: flowTableSize must be a power of two, 256..1048576");
			return -EINVAL;
		}
		cfg->flow_max = v;
	}
	a = attrs[ZTBOND_A_FLOW_EXPIRE];
	if (a) {
		/* beyond NLA_POLICY_RANGE's s16 on 6.1 */
		u32 v = nla_get_u32(a);

		if (v < ZTBOND_MIN_FLOW_EXPIRE_MS ||
		    v > ZTBOND_MAX_FLOW_EXPIRE_MS) {
			NL_SET_ERR_MSG_ATTR(extack, a,
					    "ztbond: flowExpiry must be 1000..86400000 ms");
			return -EINVAL;
		}
		cfg->flow_expire = v;
	}
	if (attrs[ZTBOND_A_DEDUP])
		cfg->dedup = nla_get_u8(attrs[ZTBOND_A_DEDUP]);
	if (attrs[ZTBOND_A_DATA_HEADER])
		cfg->data_header = nla_get_u8(attrs[ZTBOND_A_DATA_HEADER]);
	if (attrs[ZTBOND_A_REORDER_TIMEOUT])
		cfg->reorder_timeout = nla_get_u32(attrs[ZTBOND_A_REORDER_TIMEOUT]);
	if (attrs[ZTBOND_A_PUNISH_BASE])
		cfg->punish_base = nla_get_u32(attrs[ZTBOND_A_PUNISH_BASE]);
	if (attrs[ZTBOND_A_PUNISH_MAX])
		cfg->punish_max = nla_get_u32(attrs[ZTBOND_A_PUNISH_MAX]);
	if (cfg->punish_base > ZTBOND_MAX_INTERVAL_MS ||
	    cfg->punish_max > ZTBOND_MAX_INTERVAL_MS) {
		NL_SET_ERR_MSG(extack, "ztbond: punishment must be 0..3600000 ms");
		return -ERANGE;
	}
	if (cfg->punish_base > cfg->punish_max) {
		NL_SET_ERR_MSG(extack, "ztbond: punishment base exceeds its maximum");
		return -EINVAL;
	}
	a = attrs[ZTBOND_A_AUTH_KEY];
	if (a) {
		if (nla_len(a) && nla_len(a) != ZTBOND_AUTH_KEY_LEN) {
			NL_SET_ERR_MSG_ATTR(extack, a,
					    "ztbond: authentication key must be 16 bytes (empty clears it)");
			return -EINVAL;
		}
		cfg->auth = nla_len(a) == ZTBOND_AUTH_KEY_LEN;
		memset(&cfg->auth_key, 0, sizeof(cfg->auth_key));
		if (cfg->auth)
			memcpy(&cfg->auth_key, nla_data(a), ZTBOND_AUTH_KEY_LEN);
	}
	err = ztbond_nl_parse_quality(attrs[ZTBOND_A_QUALITY], cfg, extack);
	if (err)
		return err;
	ztbond_cfg_default_weights(cfg);
	return 0;
}

static int ztbond_nl_parse_link_cfg(struct ztbond *bond,
				    struct net_device *self,
				    struct nlattr **tb,
				    struct ztbond_link_cfg *cfg,
				    struct netlink_ext_ack *extack)
{
	struct nlattr *a;
	int err;

	a = tb[ZTBOND_LINK_A_MODE];
	if (a) {
		if (nla_get_u8(a) >= __ZTBOND_LINK_MODE_MAX) {
			NL_SET_ERR_MSG_ATTR(extack, a, "ztbond: mode must be primary or spare");
			return -EINVAL;
		}
		cfg->mode = nla_get_u8(a);
	}
	a = tb[ZTBOND_LINK_A_ENABLED];
	if (a) {
		if (nla_get_u8(a) > 1) {
			NL_SET_ERR_MSG_ATTR(extack, a, "ztbond: enabled must be 0 or 1");
			return -EINVAL;
		}
		cfg->enabled = nla_get_u8(a);
	}
	a = tb[ZTBOND_LINK_A_IPV_PREF];
	if (a) {
		u8 v = nla_get_u8(a);

		if (v != 0 && v != 4 && v != 6 && v != 46 && v != 64) {
			NL_SET_ERR_MSG_ATTR(extack, a, "ztbond: ipvPref must be 0, 4, 6, 46 or 64");
			return -EINVAL;
		}
		cfg->ipv_pref = v;
	}
	a = tb[ZTBOND_LINK_A_SPEED];
	if (a) {
		if (nla_get_u32(a) > ZTBOND_MAX_SPEED) {
			NL_SET_ERR_MSG_ATTR(extack, a, "ztbond: speed must be 0..1000000");
			return -ERANGE;
		}
		cfg->speed = nla_get_u32(a);
	}
	a = tb[ZTBOND_LINK_A_ALLOC];
	if (a) {
		if (nla_get_u32(a) > ZTBOND_PPM) {
			NL_SET_ERR_MSG_ATTR(extack, a, "ztbond: alloc must be 0..1000000 ppm");
			return -ERANGE;
		}
		cfg->alloc_ppm = nla_get_u32(a);
	}
	if (cfg->speed && cfg->alloc_ppm) {
		NL_SET_ERR_MSG(extack, "ztbond: speed and alloc are mutually exclusive");
		return -EINVAL;
	}
	a = tb[ZTBOND_LINK_A_FAILOVER_TO];
	if (a) {
		const char *to = nla_data(a);

		if (to[0] && (!strcmp(to, self->name) ||
			      !ztbond_link_by_name(bond, to))) {
			NL_SET_ERR_MSG_ATTR(extack, a,
					    "ztbond: failoverTo must name another link of this bond");
			return -EINVAL;
		}
		nla_strscpy(cfg->failover_to, a, sizeof(cfg->failover_to));
	}
	err = ztbond_nl_interval(tb[ZTBOND_LINK_A_UP_DELAY], 0, true,
				 &cfg->up_delay,
				 "ztbond: upDelay must be 0..3600000 ms", extack);
	if (!err)
		err = ztbond_nl_interval(tb[ZTBOND_LINK_A_DOWN_DELAY], 0, true,
					 &cfg->down_delay,
					 "ztbond: downDelay must be 0..3600000 ms",
					 extack);
	if (!err)
		err = ztbond_nl_interval(tb[ZTBOND_LINK_A_FAILOVER_INTERVAL],
					 ZTBOND_MIN_FAILOVER_INTERVAL_MS, true,
					 &cfg->failover_interval,
					 "ztbond: failoverInterval must be 250..3600000 ms",
					 extack);
	return err;
}

/* ---- replies and events ------------------------------------------------- */

static int ztbond_nl_put_stats(struct sk_buff *msg, const struct ztbond_stats *s,
			       int tx_pkts, int tx_bytes, int rx_pkts,
			       int rx_bytes, int tx_drop, int pad)
{
	if (nla_put_u64_64bit(msg, tx_pkts, s->tx_packets, pad) ||
	    nla_put_u64_64bit(msg, tx_bytes, s->tx_bytes, pad) ||
	    nla_put_u64_64bit(msg, rx_pkts, s->rx_packets, pad) ||
	    nla_put_u64_64bit(msg, rx_bytes, s->rx_bytes, pad) ||
	    nla_put_u64_64bit(msg, tx_drop, s->tx_dropped, pad))
		return -EMSGSIZE;
	return 0;
}

/* What the monitor measured, from the link's best path; RTNL. */
static int ztbond_nl_put_quality(struct sk_buff *msg, struct ztbond_link *link)
{
	struct {
		u32 m[ZTBE_M_COUNT];
		u8 mac[ETH_ALEN];
		u64 id, tx, rx, bad, auth, replay, echoes, lost;
		u32 paths, probes, punish;
		bool best, measured;
	} r = { };
	const struct ztbond_path *p;
	int i;

	spin_lock_bh(&link->plock);
	for (i = 0; i < ZTBOND_MAX_PATHS; i++)
		r.paths += link->paths[i].used;
	if (link->best >= 0) {
		p = &link->paths[link->best];
		r.best = true;
		r.measured = p->rtt_n > 0;
		memcpy(r.m, p->m, sizeof(r.m));
		ether_addr_copy(r.mac, p->peer_mac);
		r.id = p->peer_id;
		r.probes = p->loss.count;
	}
	r.rx = link->ctl_rx;
	r.bad = link->ctl_bad;
	r.auth = link->ctl_auth_fail;
	r.replay = link->ctl_replay;
	r.punish = link->punish_ms;
	r.echoes = link->echo_rx;
	r.lost = link->data_lost;
	spin_unlock_bh(&link->plock);
	r.tx = atomic64_read(&link->ctl_tx);

	if (nla_put_u32(msg, ZTBOND_LINK_A_PATHS, r.paths) ||
	    nla_put_u32(msg, ZTBOND_LINK_A_QUALITY_PPM, READ_ONCE(link->quality)) ||
	    nla_put_u32(msg, ZTBOND_LINK_A_SHARE_PPM, link->share) ||
	    nla_put_u32(msg, ZTBOND_LINK_A_FLOWS,
			max(atomic_read(&link->bond->id_flows[link->id]), 0)) ||
	    nla_put_u32(msg, ZTBOND_LINK_A_CLIENTS,
			max(atomic_read(&link->bond->id_clients[link->id]), 0)) ||
	    nla_put_u64_64bit(msg, ZTBOND_LINK_A_CTL_TX, r.tx, ZTBOND_LINK_A_PAD) ||
	    nla_put_u64_64bit(msg, ZTBOND_LINK_A_CTL_RX, r.rx, ZTBOND_LINK_A_PAD) ||
	    nla_put_u64_64bit(msg, ZTBOND_LINK_A_CTL_BAD, r.bad, ZTBOND_LINK_A_PAD) ||
	    nla_put_u64_64bit(msg, ZTBOND_LINK_A_CTL_AUTH_FAIL, r.auth,
			      ZTBOND_LINK_A_PAD) ||
	    nla_put_u64_64bit(msg, ZTBOND_LINK_A_CTL_REPLAY, r.replay,
			      ZTBOND_LINK_A_PAD) ||
	    nla_put_u64_64bit(msg, ZTBOND_LINK_A_PROBES_SENT,
			      atomic64_read(&link->probe_tx), ZTBOND_LINK_A_PAD) ||
	    nla_put_u64_64bit(msg, ZTBOND_LINK_A_RTT_ECHOES, r.echoes,
			      ZTBOND_LINK_A_PAD) ||
	    nla_put_u64_64bit(msg, ZTBOND_LINK_A_DATA_LOST, r.lost,
			      ZTBOND_LINK_A_PAD) ||
	    nla_put_u32(msg, ZTBOND_LINK_A_CAPACITY_KBPS,
			READ_ONCE(link->capacity_kbps)))
		return -EMSGSIZE;
	if (!r.best)
		return 0;
	if (nla_put(msg, ZTBOND_LINK_A_PEER_MAC, ETH_ALEN, r.mac) ||
	    nla_put_u64_64bit(msg, ZTBOND_LINK_A_PEER_ID, r.id, ZTBOND_LINK_A_PAD) ||
	    nla_put_u32(msg, ZTBOND_LINK_A_PROBES, r.probes) ||
	    nla_put_u32(msg, ZTBOND_LINK_A_PLR_PPM, r.m[ZTBE_M_PLR]) ||
	    nla_put_u32(msg, ZTBOND_LINK_A_PER_PPM, r.m[ZTBE_M_PER]) ||
	    nla_put_u32(msg, ZTBOND_LINK_A_AVAIL_PPM, ZTBOND_PPM - r.m[ZTBE_M_AVL]))
		return -EMSGSIZE;
	if (r.measured &&
	    (nla_put_u32(msg, ZTBOND_LINK_A_LATENCY_US, r.m[ZTBE_M_LAT]) ||
	     nla_put_u32(msg, ZTBOND_LINK_A_LTM_US, r.m[ZTBE_M_LTM]) ||
	     nla_put_u32(msg, ZTBOND_LINK_A_PDV_US, r.m[ZTBE_M_PDV])))
		return -EMSGSIZE;
	return 0;
}

static int ztbond_nl_put_link(struct sk_buff *msg, struct ztbond_link *link,
			      bool full)
{
	const struct ztbond_link_cfg *c = &link->cfg;
	struct ztbond *bond = link->bond;
	struct ztbond_stats s;
	struct nlattr *nest;

	nest = nla_nest_start(msg, ZTBOND_A_LINK);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(msg, ZTBOND_LINK_A_IFINDEX, link->dev->ifindex) ||
	    nla_put_string(msg, ZTBOND_LINK_A_IFNAME, link->dev->name) ||
	    nla_put_u8(msg, ZTBOND_LINK_A_STATE, link->state) ||
	    nla_put_u8(msg, ZTBOND_LINK_A_ACTIVE, ztbond_link_carries(bond, link)) ||
	    nla_put_u8(msg, ZTBOND_LINK_A_ELIGIBLE, ztbond_link_eligible(link)) ||
	    nla_put_u32(msg, ZTBOND_LINK_A_PUNISHED_MS,
			ztbond_link_punish_left(link)))
		goto cancel;
	if (!full)
		goto done;
	if (nla_put_u8(msg, ZTBOND_LINK_A_MODE, c->mode) ||
	    nla_put_string(msg, ZTBOND_LINK_A_FAILOVER_TO, c->failover_to) ||
	    nla_put_u8(msg, ZTBOND_LINK_A_ENABLED, c->enabled) ||
	    nla_put_u8(msg, ZTBOND_LINK_A_IPV_PREF, c->ipv_pref) ||
	    nla_put_u32(msg, ZTBOND_LINK_A_SPEED, c->speed) ||
	    nla_put_u32(msg, ZTBOND_LINK_A_ALLOC, c->alloc_ppm) ||
	    nla_put(msg, ZTBOND_LINK_A_MAC, ETH_ALEN, link->dev->dev_addr) ||
	    nla_put_u32(msg, ZTBOND_LINK_A_MTU, link->dev->mtu) ||
	    nla_put_u32(msg, ZTBOND_LINK_A_FAILURES, link->failures))
		goto cancel;
	/* per-link overrides only; absent means "the bond's value" */
	if ((c->up_delay != ZTBOND_INHERIT &&
	     nla_put_u32(msg, ZTBOND_LINK_A_UP_DELAY, c->up_delay)) ||
	    (c->down_delay != ZTBOND_INHERIT &&
	     nla_put_u32(msg, ZTBOND_LINK_A_DOWN_DELAY, c->down_delay)) ||
	    (c->failover_interval != ZTBOND_INHERIT &&
	     nla_put_u32(msg, ZTBOND_LINK_A_FAILOVER_INTERVAL,
			 c->failover_interval)))
		goto cancel;
	if (ztbond_nl_put_quality(msg, link))
		goto cancel;
	ztbond_stats_read(link->stats, &s);
	if (ztbond_nl_put_stats(msg, &s, ZTBOND_LINK_A_TX_PACKETS,
				ZTBOND_LINK_A_TX_BYTES, ZTBOND_LINK_A_RX_PACKETS,
				ZTBOND_LINK_A_RX_BYTES, ZTBOND_LINK_A_TX_DROPPED,
				ZTBOND_LINK_A_PAD))
		goto cancel;
done:
	nla_nest_end(msg, nest);
	return 0;
cancel:
	nla_nest_cancel(msg, nest);
	return -EMSGSIZE;
}

static int ztbond_nl_put_bond_id(struct sk_buff *msg, struct ztbond *bond)
{
	if (nla_put_u32(msg, ZTBOND_A_IFINDEX, bond->dev->ifindex) ||
	    nla_put_string(msg, ZTBOND_A_IFNAME, bond->dev->name))
		return -EMSGSIZE;
	return 0;
}

static int ztbond_nl_put_qparams(struct sk_buff *msg,
				 const struct ztbond_cfg *c)
{
	struct nlattr *nest = nla_nest_start(msg, ZTBOND_A_QUALITY);
	const struct ztbe_qparams *q = &c->qp;
	int i;

	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u8(msg, ZTBOND_Q_A_W_DEFAULT, c->qw_default))
		goto cancel;
	for (i = ZTBOND_Q_A_W_LAT; i <= ZTBOND_Q_A_W_AVL; i++)
		if (nla_put_u32(msg, i, q->weight[ztbond_q_weight_metric[i]]))
			goto cancel;
	if (nla_put_u32(msg, ZTBOND_Q_A_LAT_MAX_US, q->max[ZTBE_M_LAT]) ||
	    nla_put_u32(msg, ZTBOND_Q_A_LTM_MAX_US, q->max[ZTBE_M_LTM]) ||
	    nla_put_u32(msg, ZTBOND_Q_A_PDV_MAX_US, q->max[ZTBE_M_PDV]) ||
	    nla_put_u32(msg, ZTBOND_Q_A_PLR_MAX_PPM, q->max[ZTBE_M_PLR]) ||
	    nla_put_u32(msg, ZTBOND_Q_A_PER_MAX_PPM, q->max[ZTBE_M_PER]) ||
	    nla_put_u32(msg, ZTBOND_Q_A_AVL_MIN_PPM,
			q->max[ZTBE_M_AVL] ? ZTBOND_PPM - q->max[ZTBE_M_AVL] : 0))
		goto cancel;
	nla_nest_end(msg, nest);
	return 0;
cancel:
	nla_nest_cancel(msg, nest);
	return -EMSGSIZE;
}

/* The peer table, with each peer's active link where its policy has one. */
static int ztbond_nl_put_peers(struct sk_buff *msg, struct ztbond *bond)
{
	const struct ztbond_snap *snap = rtnl_dereference(bond->snap);
	struct nlattr *peers, *nest;
	u32 i;

	peers = nla_nest_start(msg, ZTBOND_A_PEERS);
	if (!peers)
		return -EMSGSIZE;
	for (i = 0; i < bond->npeers; i++) {
		const struct ztbond_peer_cfg *pc = &bond->peers[i];
		const struct ztbond_link *active = NULL;

		if (snap && snap->peers)
			active = snap->peers->sel[pc->group].active;
		nest = nla_nest_start(msg, ZTBOND_A_PEER);
		if (!nest ||
		    nla_put(msg, ZTBOND_PEER_A_MAC, ETH_ALEN, pc->mac) ||
		    nla_put_u8(msg, ZTBOND_PEER_A_POLICY, pc->policy) ||
		    (pc->policy_name[0] &&
		     nla_put_string(msg, ZTBOND_PEER_A_POLICY_NAME,
				    pc->policy_name)) ||
		    nla_put_u32(msg, ZTBOND_PEER_A_PACKETS_PER_LINK,
				pc->packets_per_link) ||
		    nla_put_u8(msg, ZTBOND_PEER_A_LINK_SELECT, pc->link_select) ||
		    nla_put_u8(msg, ZTBOND_PEER_A_BALANCE_POLICY, pc->balance) ||
		    (active && nla_put_u32(msg, ZTBOND_PEER_A_ACTIVE_LINK,
					   active->dev->ifindex)))
			return -EMSGSIZE;
		nla_nest_end(msg, nest);
	}
	nla_nest_end(msg, peers);
	return 0;
}

static int ztbond_nl_put_reorder(struct sk_buff *msg, struct ztbond *bond)
{
	struct ztbond_reorder_stats r;

	ztbond_reorder_stats(bond, &r);
	return nla_put_u8(msg, ZTBOND_A_DATA_HEADER, bond->cfg.data_header) ||
	       nla_put_u32(msg, ZTBOND_A_REORDER_TIMEOUT,
			   bond->cfg.reorder_timeout) ||
	       nla_put_u64_64bit(msg, ZTBOND_A_REORDER_HELD, r.held,
				 ZTBOND_A_PAD) ||
	       nla_put_u64_64bit(msg, ZTBOND_A_REORDER_LOST, r.lost,
				 ZTBOND_A_PAD) ||
	       nla_put_u64_64bit(msg, ZTBOND_A_REORDER_LATE, r.late,
				 ZTBOND_A_PAD);
}

static int ztbond_nl_fill_bond(struct sk_buff *msg, struct ztbond *bond,
			       u32 portid, u32 seq, int flags)
{
	const struct ztbond_cfg *c = &bond->cfg;
	struct ztbond_link *link;
	struct nlattr *links;
	struct ztbond_stats s;
	void *hdr;

	hdr = genlmsg_put(msg, portid, seq, &ztbond_genl_family, flags,
			  ZTBOND_CMD_BOND_GET);
	if (!hdr)
		return -EMSGSIZE;
	ztbond_stats_read(bond->stats, &s);
	if (ztbond_nl_put_bond_id(msg, bond) ||
	    nla_put_u8(msg, ZTBOND_A_POLICY, c->policy) ||
	    (c->policy_name[0] &&
	     nla_put_string(msg, ZTBOND_A_POLICY_NAME, c->policy_name)) ||
	    nla_put_u32(msg, ZTBOND_A_MTU, bond->dev->mtu) ||
	    nla_put_u8(msg, ZTBOND_A_CARRIER, netif_carrier_ok(bond->dev)) ||
	    nla_put_u32(msg, ZTBOND_A_ACTIVE_LINK,
			bond->active ? bond->active->dev->ifindex : 0) ||
	    nla_put_u32(msg, ZTBOND_A_PACKETS_PER_LINK, c->packets_per_link) ||
	    nla_put_u32(msg, ZTBOND_A_FAILOVER_INTERVAL, c->failover_interval) ||
	    nla_put_u32(msg, ZTBOND_A_UP_DELAY, c->up_delay) ||
	    nla_put_u32(msg, ZTBOND_A_DOWN_DELAY, c->down_delay) ||
	    nla_put_u8(msg, ZTBOND_A_LINK_SELECT, c->link_select) ||
	    nla_put(msg, ZTBOND_A_MAC, ETH_ALEN, bond->dev->dev_addr) ||
	    nla_put_u8(msg, ZTBOND_A_MONITOR, c->monitor) ||
	    nla_put_u8(msg, ZTBOND_A_BALANCE_POLICY, c->balance) ||
	    nla_put_u32(msg, ZTBOND_A_FLOW_MAX, c->flow_max) ||
	    nla_put_u32(msg, ZTBOND_A_FLOW_EXPIRE, c->flow_expire) ||
	    nla_put_u32(msg, ZTBOND_A_FLOWS, ztbond_aware_flows(bond)) ||
	    nla_put_u64_64bit(msg, ZTBOND_A_FLOW_MOVES,
			      atomic64_read(&bond->flow_moves), ZTBOND_A_PAD) ||
	    nla_put_u32(msg, ZTBOND_A_PUNISH_BASE, c->punish_base) ||
	    nla_put_u32(msg, ZTBOND_A_PUNISH_MAX, c->punish_max) ||
	    nla_put_u8(msg, ZTBOND_A_AUTH, c->auth) ||
	    nla_put_u8(msg, ZTBOND_A_DEDUP, c->dedup) ||
	    nla_put_u64_64bit(msg, ZTBOND_A_DEDUP_DROPPED,
			      ztbond_dedup_dropped(bond), ZTBOND_A_PAD) ||
	    nla_put_u64_64bit(msg, ZTBOND_A_BOND_ID, bond->id, ZTBOND_A_PAD) ||
	    ztbond_nl_put_reorder(msg, bond) ||
	    ztbond_nl_put_qparams(msg, c) ||
	    ztbond_nl_put_stats(msg, &s, ZTBOND_A_TX_PACKETS, ZTBOND_A_TX_BYTES,
				ZTBOND_A_RX_PACKETS, ZTBOND_A_RX_BYTES,
				ZTBOND_A_TX_DROPPED, ZTBOND_A_PAD) ||
	    nla_put_u64_64bit(msg, ZTBOND_A_RX_DROPPED, s.rx_dropped,
			      ZTBOND_A_PAD))
		goto cancel;

	links = nla_nest_start(msg, ZTBOND_A_LINKS);
	if (!links)
		goto cancel;
	list_for_each_entry(link, &bond->links, list)
		if (ztbond_nl_put_link(msg, link, true))
			goto cancel;
	nla_nest_end(msg, links);
	if (ztbond_nl_put_peers(msg, bond))
		goto cancel;
	genlmsg_end(msg, hdr);
	return 0;

cancel:
	genlmsg_cancel(msg, hdr);
	return -EMSGSIZE;
}

/* Room for a bond with all of its links: bounded by ZTBOND_MAX_LINKS. */
static size_t ztbond_nl_bond_size(struct ztbond *bond)
{
	return NLMSG_GOODSIZE + bond->nlinks * 1024 + bond->npeers * 96;
}

void ztbond_nl_notify(struct ztbond *bond, u8 event, struct ztbond_link *link)
{
	struct net *net = dev_net(bond->dev);
	struct sk_buff *msg;
	void *hdr;

	if (!genl_has_listeners(&ztbond_genl_family, net,
				ZTBOND_MCGRP_EVENTS_IDX))
		return;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &ztbond_genl_family, 0, ZTBOND_CMD_EVENT);
	if (!hdr)
		goto err_free;
	if (nla_put_u8(msg, ZTBOND_A_EVENT, event) ||
	    ztbond_nl_put_bond_id(msg, bond) ||
	    nla_put_u8(msg, ZTBOND_A_POLICY, bond->cfg.policy) ||
	    nla_put_u8(msg, ZTBOND_A_CARRIER, netif_carrier_ok(bond->dev)) ||
	    nla_put_u32(msg, ZTBOND_A_ACTIVE_LINK,
			bond->active ? bond->active->dev->ifindex : 0) ||
	    (link && ztbond_nl_put_link(msg, link, false)))
		goto err_free;
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&ztbond_genl_family, net, msg, 0,
				ZTBOND_MCGRP_EVENTS_IDX, GFP_KERNEL);
	return;

err_free:
	nlmsg_free(msg);
}

/* ---- commands ------------------------------------------------------------ */

static int ztbond_nl_bond_new(struct sk_buff *skb, struct genl_info *info)
{
	struct ztbond_flow_table *old_ft;
	struct ztbond_cfg cfg;
	struct ztbond *bond;
	int err;

	ztbond_cfg_default(&cfg);
	if (!info->attrs[ZTBOND_A_IFNAME]) {
		NL_SET_ERR_MSG(info->extack, "ztbond: bond name (ifname) needed");
		return -EINVAL;
	}
	if (!dev_valid_name(nla_data(info->attrs[ZTBOND_A_IFNAME]))) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[ZTBOND_A_IFNAME],
				    "ztbond: invalid interface name");
		return -EINVAL;
	}
	err = ztbond_nl_parse_cfg(info->attrs, &cfg, info->extack);
	if (err)
		return err;

	rtnl_lock();
	bond = ztbond_create(genl_info_net(info),
			     nla_data(info->attrs[ZTBOND_A_IFNAME]), info->extack);
	if (IS_ERR(bond)) {
		err = PTR_ERR(bond);
		goto out;
	}
	err = ztbond_aware_prepare(bond, &cfg, false, &old_ft);
	if (err) {
		NL_SET_ERR_MSG(info->extack, "ztbond: no memory for the flow table");
		unregister_netdevice(bond->dev);
		goto out;
	}
	bond->cfg = cfg;
	ztbond_rebuild(bond);
	ztbond_aware_release(old_ft);
	ztbond_nl_notify(bond, ZTBOND_EVENT_BOND_NEW, NULL);
out:
	rtnl_unlock();
	return err;
}

static int ztbond_nl_bond_del(struct sk_buff *skb, struct genl_info *info)
{
	struct ztbond *bond;
	int err = 0;

	rtnl_lock();
	bond = ztbond_nl_bond(info);
	if (IS_ERR(bond))
		err = PTR_ERR(bond);
	else
		unregister_netdevice(bond->dev);
	rtnl_unlock();
	return err;
}

/* One link's new parameters in a BOND_SET, held until all are checked. */
struct ztbond_link_change {
	struct ztbond_link *link;
	struct ztbond_link_cfg cfg;
};

/*
 * The ZTBOND_A_LINKS of a BOND_SET: every nest names a link of this bond,
 * at most once, with parameters that parse. Nothing is changed here.
 */
static int ztbond_nl_parse_links(struct ztbond *bond, struct genl_info *info,
				 struct ztbond_link_change *ch, u32 *n)
{
	struct nlattr *tb[ZTBOND_LINK_A_MAX + 1];
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr *nest;
	int rem, err;
	u32 i;

	*n = 0;
	nla_for_each_nested(nest, info->attrs[ZTBOND_A_LINKS], rem) {
		struct ztbond_link *link;
		struct net_device *dev;

		if (nla_type(nest) != ZTBOND_A_LINK) {
			NL_SET_ERR_MSG_ATTR(extack, nest,
					    "ztbond: links holds only link nests");
			return -EINVAL;
		}
		dev = ztbond_nl_dev_of(genl_info_net(info), nest, tb, extack);
		if (IS_ERR(dev))
			return PTR_ERR(dev);
		link = ztbond_link_get(dev);
		if (!link || link->bond != bond) {
			NL_SET_ERR_MSG_ATTR(extack, nest,
					    "ztbond: device is not a link of this bond");
			return -ENOENT;
		}
		for (i = 0; i < *n; i++) {
			if (ch[i].link == link) {
				NL_SET_ERR_MSG_ATTR(extack, nest,
						    "ztbond: a link is named twice");
				return -EINVAL;
			}
		}
		/* distinct links of this bond: never more than bond->nlinks */
		ch[*n].link = link;
		ch[*n].cfg = link->cfg;
		err = ztbond_nl_parse_link_cfg(bond, dev, tb, &ch[*n].cfg, extack);
		if (err)
			return err;
		(*n)++;
	}
	if (rem) {
		NL_SET_ERR_MSG(extack, "ztbond: links nest is truncated");
		return -EINVAL;
	}
	return 0;
}

/* One peer nest of a BOND_SET into pc; defaults from the bond's new cfg. */
static int ztbond_nl_parse_peer(struct nlattr *nest, const struct ztbond_cfg *cfg,
				struct ztbond_peer_cfg *pc,
				struct netlink_ext_ack *extack)
{
	struct nlattr *tb[ZTBOND_PEER_A_MAX + 1];
	int err;

	err = nla_parse_nested(tb, ZTBOND_PEER_A_MAX, nest,
			       ztbond_peer_nl_policy, extack);
	if (err)
		return err;
	if (!tb[ZTBOND_PEER_A_MAC] || !tb[ZTBOND_PEER_A_POLICY]) {
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "ztbond: a peer needs a MAC and a policy");
		return -EINVAL;
	}
	memcpy(pc->mac, nla_data(tb[ZTBOND_PEER_A_MAC]), ETH_ALEN);
	if (!is_valid_ether_addr(pc->mac)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[ZTBOND_PEER_A_MAC],
				    "ztbond: a peer's MAC must be a unicast address");
		return -EINVAL;
	}
	pc->policy = nla_get_u8(tb[ZTBOND_PEER_A_POLICY]);
	if (!ztbond_policy_ops(pc->policy)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[ZTBOND_PEER_A_POLICY],
				    "ztbond: unknown peer policy");
		return -EINVAL;
	}
	if (tb[ZTBOND_PEER_A_POLICY_NAME])
		nla_strscpy(pc->policy_name, tb[ZTBOND_PEER_A_POLICY_NAME],
			    sizeof(pc->policy_name));
	pc->packets_per_link = cfg->packets_per_link;
	if (tb[ZTBOND_PEER_A_PACKETS_PER_LINK]) {
		pc->packets_per_link =
			nla_get_u32(tb[ZTBOND_PEER_A_PACKETS_PER_LINK]);
		if (pc->packets_per_link > ZTBOND_MAX_PACKETS_PER_LINK) {
			NL_SET_ERR_MSG_ATTR(extack,
					    tb[ZTBOND_PEER_A_PACKETS_PER_LINK],
					    "ztbond: packetsPerLink must be 0..65535");
			return -ERANGE;
		}
	}
	pc->link_select = tb[ZTBOND_PEER_A_LINK_SELECT] ?
			  nla_get_u8(tb[ZTBOND_PEER_A_LINK_SELECT]) :
			  cfg->link_select;
	pc->balance = tb[ZTBOND_PEER_A_BALANCE_POLICY] ?
		      nla_get_u8(tb[ZTBOND_PEER_A_BALANCE_POLICY]) :
		      cfg->balance;
	return 0;
}

/*
 * The ZTBOND_A_PEERS of a BOND_SET into a new table (NULL when empty):
 * distinct MACs, at most ZTBOND_MAX_PEERS of them and
 * ZTBOND_MAX_PEER_POLICIES distinct policies. Nothing is changed here.
 */
static int ztbond_nl_parse_peers(struct nlattr *peers,
				 const struct ztbond_cfg *cfg,
				 struct ztbond_peer_cfg **out, u32 *nout,
				 u8 *ngroups, struct netlink_ext_ack *extack)
{
	struct ztbond_peer_cfg *pc, *t;
	struct nlattr *nest;
	int rem, err;
	u32 n = 0, i;

	*out = NULL;
	*nout = 0;
	*ngroups = 0;
	pc = kcalloc(ZTBOND_MAX_PEERS, sizeof(*pc), GFP_KERNEL);
	if (!pc)
		return -ENOMEM;
	nla_for_each_nested(nest, peers, rem) {
		if (nla_type(nest) != ZTBOND_A_PEER) {
			NL_SET_ERR_MSG_ATTR(extack, nest,
					    "ztbond: peers holds only peer nests");
			err = -EINVAL;
			goto err_free;
		}
		if (n == ZTBOND_MAX_PEERS) {
			NL_SET_ERR_MSG_ATTR(extack, nest,
					    "ztbond: more than 64 peers with their own policy");
			err = -E2BIG;
			goto err_free;
		}
		t = &pc[n];
		err = ztbond_nl_parse_peer(nest, cfg, t, extack);
		if (err)
			goto err_free;
		for (i = 0; i < n; i++) {
			if (ether_addr_equal(pc[i].mac, t->mac)) {
				NL_SET_ERR_MSG_ATTR(extack, nest,
						    "ztbond: a peer is named twice");
				err = -EINVAL;
				goto err_free;
			}
		}
		/* entries that spread traffic alike share one selection */
		for (i = 0; i < n; i++)
			if (pc[i].policy == t->policy &&
			    pc[i].link_select == t->link_select &&
			    pc[i].balance == t->balance &&
			    pc[i].packets_per_link == t->packets_per_link)
				break;
		if (i < n) {
			t->group = pc[i].group;
		} else if (*ngroups == ZTBOND_MAX_PEER_POLICIES) {
			NL_SET_ERR_MSG_ATTR(extack, nest,
					    "ztbond: more than 8 distinct peer policies");
			err = -E2BIG;
			goto err_free;
		} else {
			t->group = (*ngroups)++;
		}
		n++;
	}
	if (rem) {
		NL_SET_ERR_MSG(extack, "ztbond: peers nest is truncated");
		err = -EINVAL;
		goto err_free;
	}
	if (!n) {
		kfree(pc);
		pc = NULL;
	}
	*out = pc;
	*nout = n;
	return 0;

err_free:
	kfree(pc);
	return err;
}

/*
 * Bond parameters and, with ZTBOND_A_LINKS, the links' too: everything is
 * checked into copies first and then written at once, under RTNL, with one
 * new snapshot, so a configuration is applied whole or not at all.
 * Measurements and flows of the links stay.
 */
static int ztbond_nl_bond_set(struct sk_buff *skb, struct genl_info *info)
{
	struct ztbond_link_change *ch = NULL;
	struct ztbond_peer_cfg *peers = NULL;
	struct ztbond_flow_table *old_ft;
	struct ztbond_cfg cfg;
	struct ztbond *bond;
	u32 i, n = 0, npeers = 0;
	u8 ngroups = 0;
	int err;

	rtnl_lock();
	bond = ztbond_nl_bond(info);
	if (IS_ERR(bond)) {
		err = PTR_ERR(bond);
		goto out;
	}
	cfg = bond->cfg;
	err = ztbond_nl_parse_cfg(info->attrs, &cfg, info->extack);
	if (err)
		goto out;
	if (info->attrs[ZTBOND_A_LINKS]) {
		ch = kcalloc(max(bond->nlinks, 1U), sizeof(*ch), GFP_KERNEL);
		if (!ch) {
			err = -ENOMEM;
			goto out;
		}
		err = ztbond_nl_parse_links(bond, info, ch, &n);
		if (err)
			goto out;
	}
	if (info->attrs[ZTBOND_A_PEERS]) {
		err = ztbond_nl_parse_peers(info->attrs[ZTBOND_A_PEERS], &cfg,
					    &peers, &npeers, &ngroups,
					    info->extack);
		if (err)
			goto out;
	}
	err = ztbond_aware_prepare(bond, &cfg,
				   info->attrs[ZTBOND_A_PEERS] ?
				   ztbond_peers_aware(peers, npeers, true) :
				   ztbond_peers_aware(bond->peers, bond->npeers, true),
				   &old_ft);
	if (err) {
		NL_SET_ERR_MSG(info->extack, "ztbond: no memory for the flow table");
		goto out;
	}
	bond->cfg = cfg;
	for (i = 0; i < n; i++)
		ch[i].link->cfg = ch[i].cfg;
	if (info->attrs[ZTBOND_A_PEERS]) {
		ztbond_peers_set(bond, peers, npeers, ngroups);
		peers = NULL;
	}
	ztbond_punish_clamp(bond);
	ztbond_links_eval(bond);
	ztbond_rebuild(bond);
	ztbond_aware_release(old_ft);
	ztbond_monitor_kick(bond);
	ztbond_nl_notify(bond, info->attrs[ZTBOND_A_LINKS] ?
			 ZTBOND_EVENT_CONFIG_APPLIED : ZTBOND_EVENT_BOND_CHANGE,
			 NULL);
out:
	rtnl_unlock();
	kfree(peers);
	kfree(ch);
	return err;
}

static int ztbond_nl_bond_get(struct sk_buff *skb, struct genl_info *info)
{
	struct ztbond *bond;
	struct sk_buff *msg;
	int err;

	rtnl_lock();
	bond = ztbond_nl_bond(info);
	if (IS_ERR(bond)) {
		err = PTR_ERR(bond);
		goto err_unlock;
	}
	msg = genlmsg_new(ztbond_nl_bond_size(bond), GFP_KERNEL);
	if (!msg) {
		err = -ENOMEM;
		goto err_unlock;
	}
	err = ztbond_nl_fill_bond(msg, bond, info->snd_portid, info->snd_seq, 0);
	rtnl_unlock();
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return genlmsg_reply(msg, info);

err_unlock:
	rtnl_unlock();
	return err;
}

static int ztbond_nl_bond_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct net *net = sock_net(skb->sk);
	struct net_device *dev;
	long idx = 0, skip = cb->args[0];
	int err = 0;

	rtnl_lock();
	for_each_netdev(net, dev) {
		if (!netif_is_ztbond(dev))
			continue;
		if (idx++ < skip)
			continue;
		err = ztbond_nl_fill_bond(skb, netdev_priv(dev),
					  NETLINK_CB(cb->skb).portid,
					  cb->nlh->nlmsg_seq, NLM_F_MULTI);
		if (err) {
			idx--;
			break;
		}
	}
	rtnl_unlock();
	cb->args[0] = idx;
	/* a bond that did not fit an empty buffer would loop forever */
	if (err && idx == skip)
		return err;
	return skb->len;
}

/* One path, copied under the link's lock so the message is consistent. */
struct ztbond_path_view {
	u64 peer_id;
	u8 peer_mac[ETH_ALEN], peer_bond_mac[ETH_ALEN];
	u16 peer_index;
	u32 caps;
	bool alive, best, measured;
	u32 heard_ms, lat_us, plr_ppm, probes;
};

static int ztbond_nl_put_path(struct sk_buff *msg, struct ztbond_link *link,
			      const struct ztbond_path_view *v)
{
	const struct ztbond_peer_cfg *pc = ztbond_peer_of(link->bond, v->peer_mac);
	const char *name = pc ? pc->policy_name : link->bond->cfg.policy_name;
	struct nlattr *nest = nla_nest_start(msg, ZTBOND_A_PATH);

	if (!nest ||
	    nla_put_u8(msg, ZTBOND_PATH_A_POLICY,
		       pc ? pc->policy : link->bond->cfg.policy) ||
	    (name[0] && nla_put_string(msg, ZTBOND_PATH_A_POLICY_NAME, name)) ||
	    nla_put_u32(msg, ZTBOND_PATH_A_LINK_IFINDEX, link->dev->ifindex) ||
	    nla_put_string(msg, ZTBOND_PATH_A_LINK_IFNAME, link->dev->name) ||
	    nla_put_u64_64bit(msg, ZTBOND_PATH_A_PEER_ID, v->peer_id,
			      ZTBOND_PATH_A_PAD) ||
	    nla_put(msg, ZTBOND_PATH_A_PEER_BOND_MAC, ETH_ALEN, v->peer_bond_mac) ||
	    nla_put(msg, ZTBOND_PATH_A_PEER_MAC, ETH_ALEN, v->peer_mac) ||
	    nla_put_u32(msg, ZTBOND_PATH_A_PEER_INDEX, v->peer_index) ||
	    nla_put_u32(msg, ZTBOND_PATH_A_CAPS, v->caps) ||
	    nla_put_u8(msg, ZTBOND_PATH_A_ALIVE, v->alive) ||
	    nla_put_u8(msg, ZTBOND_PATH_A_BEST, v->best) ||
	    nla_put_u32(msg, ZTBOND_PATH_A_HEARD_MS, v->heard_ms) ||
	    nla_put_u32(msg, ZTBOND_PATH_A_PLR_PPM, v->plr_ppm) ||
	    nla_put_u32(msg, ZTBOND_PATH_A_PROBES, v->probes) ||
	    (v->measured &&
	     nla_put_u32(msg, ZTBOND_PATH_A_LATENCY_US, v->lat_us)))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

static int ztbond_nl_put_paths(struct sk_buff *msg, struct ztbond_link *link,
			       u64 now)
{
	struct ztbond_path_view v[ZTBOND_MAX_PATHS];
	int i, n = 0;

	spin_lock_bh(&link->plock);
	for (i = 0; i < ZTBOND_MAX_PATHS; i++) {
		const struct ztbond_path *p = &link->paths[i];
		u64 heard = p->last_hello_ns && now > p->last_hello_ns ?
			    now - p->last_hello_ns : 0;

		if (!p->used)
			continue;
		v[n].peer_id = p->peer_id;
		ether_addr_copy(v[n].peer_mac, p->peer_mac);
		ether_addr_copy(v[n].peer_bond_mac, p->peer_bond_mac);
		v[n].peer_index = p->peer_index;
		v[n].caps = p->peer_caps;
		v[n].alive = p->alive;
		v[n].best = i == link->best;
		v[n].measured = p->rtt_n > 0;
		v[n].lat_us = p->m[ZTBE_M_LAT];
		v[n].plr_ppm = p->m[ZTBE_M_PLR];
		v[n].probes = p->loss.count;
		v[n].heard_ms = (u32)min_t(u64, div_u64(heard, NSEC_PER_MSEC),
					   U32_MAX);
		n++;
	}
	spin_unlock_bh(&link->plock);
	for (i = 0; i < n; i++)
		if (ztbond_nl_put_path(msg, link, &v[i]))
			return -EMSGSIZE;
	return 0;
}

/* The paths of every link: bounded by ZTBOND_MAX_LINKS * ZTBOND_MAX_PATHS. */
static int ztbond_nl_peer_get(struct sk_buff *skb, struct genl_info *info)
{
	struct ztbond_link *link;
	struct nlattr *paths;
	struct ztbond *bond;
	struct sk_buff *msg;
	u64 now = ktime_get_ns();
	void *hdr;
	int err;

	rtnl_lock();
	bond = ztbond_nl_bond(info);
	if (IS_ERR(bond)) {
		err = PTR_ERR(bond);
		goto err_unlock;
	}
	msg = genlmsg_new(NLMSG_GOODSIZE +
			  bond->nlinks * ZTBOND_MAX_PATHS * 160, GFP_KERNEL);
	if (!msg) {
		err = -ENOMEM;
		goto err_unlock;
	}
	hdr = genlmsg_put(msg, info->snd_portid, info->snd_seq,
			  &ztbond_genl_family, 0, ZTBOND_CMD_PEER_GET);
	if (!hdr)
		goto err_size;
	if (ztbond_nl_put_bond_id(msg, bond))
		goto err_size;
	paths = nla_nest_start(msg, ZTBOND_A_PATHS);
	if (!paths)
		goto err_size;
	list_for_each_entry(link, &bond->links, list)
		if (ztbond_nl_put_paths(msg, link, now))
			goto err_size;
	nla_nest_end(msg, paths);
	genlmsg_end(msg, hdr);
	rtnl_unlock();
	return genlmsg_reply(msg, info);

err_size:
	nlmsg_free(msg);
	err = -EMSGSIZE;
err_unlock:
	rtnl_unlock();
	return err;
}

static int ztbond_nl_bond_rotate(struct sk_buff *skb, struct genl_info *info)
{
	struct ztbond *bond;
	int err;

	rtnl_lock();
	bond = ztbond_nl_bond(info);
	if (IS_ERR(bond)) {
		err = PTR_ERR(bond);
		goto out;
	}
	if (bond->cfg.policy != ZTBOND_POLICY_ACTIVE_BACKUP) {
		NL_SET_ERR_MSG(info->extack, "ztbond: rotate needs the active-backup policy");
		err = -EOPNOTSUPP;
		goto out;
	}
	err = ztbond_rotate(bond);
	if (err)
		NL_SET_ERR_MSG(info->extack, "ztbond: no other usable link to rotate to");
out:
	rtnl_unlock();
	return err;
}

static int ztbond_nl_link_add(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[ZTBOND_LINK_A_MAX + 1];
	struct ztbond_link_cfg cfg;
	struct net_device *dev;
	struct ztbond *bond;
	int err;

	rtnl_lock();
	bond = ztbond_nl_bond(info);
	if (IS_ERR(bond)) {
		err = PTR_ERR(bond);
		goto out;
	}
	dev = ztbond_nl_link_dev(info, tb);
	if (IS_ERR(dev)) {
		err = PTR_ERR(dev);
		goto out;
	}
	ztbond_link_cfg_default(&cfg);
	err = ztbond_nl_parse_link_cfg(bond, dev, tb, &cfg, info->extack);
	if (err)
		goto out;
	err = ztbond_link_add(bond, dev, &cfg, info->extack);
out:
	rtnl_unlock();
	return err;
}

static int ztbond_nl_link_del(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[ZTBOND_LINK_A_MAX + 1];
	struct net_device *dev;
	struct ztbond *bond;
	int err;

	rtnl_lock();
	bond = ztbond_nl_bond(info);
	if (IS_ERR(bond)) {
		err = PTR_ERR(bond);
		goto out;
	}
	dev = ztbond_nl_link_dev(info, tb);
	if (IS_ERR(dev)) {
		err = PTR_ERR(dev);
		goto out;
	}
	err = ztbond_link_del(bond, dev, info->extack);
out:
	rtnl_unlock();
	return err;
}

static int ztbond_nl_link_set(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[ZTBOND_LINK_A_MAX + 1];
	struct ztbond_link_cfg cfg;
	struct ztbond_link *link;
	struct net_device *dev;
	struct ztbond *bond;
	int err;

	rtnl_lock();
	bond = ztbond_nl_bond(info);
	if (IS_ERR(bond)) {
		err = PTR_ERR(bond);
		goto out;
	}
	dev = ztbond_nl_link_dev(info, tb);
	if (IS_ERR(dev)) {
		err = PTR_ERR(dev);
		goto out;
	}
	link = ztbond_link_get(dev);
	if (!link || link->bond != bond) {
		NL_SET_ERR_MSG(info->extack, "ztbond: device is not a link of this bond");
		err = -ENOENT;
		goto out;
	}
	cfg = link->cfg;
	err = ztbond_nl_parse_link_cfg(bond, dev, tb, &cfg, info->extack);
	if (err)
		goto out;
	link->cfg = cfg;
	ztbond_links_eval(bond);
	ztbond_rebuild(bond);
	ztbond_monitor_kick(bond);
	ztbond_nl_notify(bond, ZTBOND_EVENT_LINK_CHANGE, link);
out:
	rtnl_unlock();
	return err;
}

static const struct genl_ops ztbond_genl_ops[] = {
	{
		.cmd	= ZTBOND_CMD_BOND_NEW,
		.doit	= ztbond_nl_bond_new,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= ZTBOND_CMD_BOND_DEL,
		.doit	= ztbond_nl_bond_del,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= ZTBOND_CMD_BOND_GET,
		.doit	= ztbond_nl_bond_get,
		.dumpit	= ztbond_nl_bond_dump,
	},
	{
		.cmd	= ZTBOND_CMD_BOND_SET,
		.doit	= ztbond_nl_bond_set,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= ZTBOND_CMD_BOND_ROTATE,
		.doit	= ztbond_nl_bond_rotate,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= ZTBOND_CMD_PEER_GET,
		.doit	= ztbond_nl_peer_get,
	},
	{
		.cmd	= ZTBOND_CMD_LINK_ADD,
		.doit	= ztbond_nl_link_add,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= ZTBOND_CMD_LINK_DEL,
		.doit	= ztbond_nl_link_del,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= ZTBOND_CMD_LINK_SET,
		.doit	= ztbond_nl_link_set,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
};

static struct genl_family ztbond_genl_family __ro_after_init = {
	.name		= ZTBOND_GENL_NAME,
	.version	= ZTBOND_GENL_VERSION,
	.maxattr	= ZTBOND_A_MAX,
	.policy		= ztbond_nl_policy,
	.netnsok	= true,
	.module		= THIS_MODULE,
	.ops		= ztbond_genl_ops,
	.n_ops		= ARRAY_SIZE(ztbond_genl_ops),
	.resv_start_op	= __ZTBOND_CMD_MAX,
	.mcgrps		= ztbond_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(ztbond_mcgrps),
};

int ztbond_genl_register(void)
{
	return genl_register_family(&ztbond_genl_family);
}

void ztbond_genl_unregister(void)
{
	genl_unregister_family(&ztbond_genl_family);
}
