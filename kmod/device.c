// SPDX-License-Identifier: GPL-2.0
/*
 * ztbond: the bond net_device: setup, open/stop, address lists, MTU,
 * statistics and the rtnl_link_ops that make `ip link add type ztbond` work.
 */
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/etherdevice.h>
#include <linux/rtnetlink.h>
#include <net/rtnetlink.h>

#include "ztbond_priv.h"
#include "compat.h"

/*
 * The bond hands every frame to a link with dev_queue_xmit(), where the
 * link's own validate_xmit_skb() segments and checksums in software if the
 * link cannot. So these are safe to advertise whatever the links support.
 */
#define ZTBOND_FEATURES	(NETIF_F_SG | NETIF_F_HW_CSUM | NETIF_F_HIGHDMA | \
			 NETIF_F_FRAGLIST | NETIF_F_GSO_SOFTWARE | \
			 NETIF_F_RXCSUM)

static const struct net_device_ops ztbond_netdev_ops;

bool netif_is_ztbond(const struct net_device *dev)
{
	return dev->netdev_ops == &ztbond_netdev_ops;
}

/* Per-CPU counters: the writers are inline in ztbond_priv.h. */
void ztbond_stats_read(struct ztbond_pcpu_stats __percpu *s,
		       struct ztbond_stats *out)
{
	int cpu;

	memset(out, 0, sizeof(*out));
	for_each_possible_cpu(cpu) {
		const struct ztbond_pcpu_stats *p = per_cpu_ptr(s, cpu);
		struct ztbond_stats v;
		unsigned int start;

		do {
			start = u64_stats_fetch_begin(&p->syncp);
			v.tx_packets = u64_stats_read(&p->tx_packets);
			v.tx_bytes = u64_stats_read(&p->tx_bytes);
			v.rx_packets = u64_stats_read(&p->rx_packets);
			v.rx_bytes = u64_stats_read(&p->rx_bytes);
			v.tx_dropped = u64_stats_read(&p->tx_dropped);
			v.rx_dropped = u64_stats_read(&p->rx_dropped);
		} while (u64_stats_fetch_retry(&p->syncp, start));
		out->tx_packets += v.tx_packets;
		out->tx_bytes += v.tx_bytes;
		out->rx_packets += v.rx_packets;
		out->rx_bytes += v.rx_bytes;
		out->tx_dropped += v.tx_dropped;
		out->rx_dropped += v.rx_dropped;
	}
}

static void ztbond_get_stats64(struct net_device *dev,
			       struct rtnl_link_stats64 *stats)
{
	struct ztbond *bond = netdev_priv(dev);
	struct ztbond_stats s;

	ztbond_stats_read(bond->stats, &s);
	stats->tx_packets = s.tx_packets;
	stats->tx_bytes = s.tx_bytes;
	stats->rx_packets = s.rx_packets;
	stats->rx_bytes = s.rx_bytes;
	stats->tx_dropped = s.tx_dropped;
	stats->rx_dropped = s.rx_dropped;
}

/*
 * The largest MTU the links can carry for the bond: the smallest link MTU,
 * less the room of a DATA frame while broadcast dedup uses them.
 */
static u32 ztbond_min_link_mtu(struct ztbond *bond)
{
	struct ztbond_link *link;
	u32 mtu = U32_MAX;

	list_for_each_entry(link, &bond->links, list)
		mtu = min(mtu, link->dev->mtu);
	if (mtu != U32_MAX && bond->encap_on)
		mtu = max_t(u32, mtu, ETH_MIN_MTU + ZTBOND_DATA_OVERHEAD) -
		      ZTBOND_DATA_OVERHEAD;
	return mtu;
}

/*
 * The bond's MTU follows the smallest link MTU unless the administrator
 * chose a smaller one; it is never larger than a link can carry, because
 * ZeroTier taps drop oversized frames silently.
 */
void ztbond_update_mtu(struct ztbond *bond)
{
	u32 min = ztbond_min_link_mtu(bond);
	int err;

	ASSERT_RTNL();
	if (min == U32_MAX || (!bond->mtu_auto && bond->dev->mtu <= min))
		return;
	if (bond->dev->mtu == min)
		return;
	err = dev_set_mtu(bond->dev, min);
	if (err)
		netdev_warn(bond->dev, "cannot follow link MTU %u: %d\n",
			    min, err);
}

static int ztbond_change_mtu(struct net_device *dev, int new_mtu)
{
	struct ztbond *bond = netdev_priv(dev);
	u32 min = ztbond_min_link_mtu(bond);

	if (min != U32_MAX && new_mtu > min) {
		netdev_err(dev, "MTU %d exceeds the smallest link MTU %u%s\n",
			   new_mtu, min, bond->encap_on ?
			   " (less the room of DATA frames)" : "");
		return -EINVAL;
	}
	/* Choosing the links' MTU again re-enables following them. */
	bond->mtu_auto = min == U32_MAX || new_mtu == min;
	WRITE_ONCE(dev->mtu, new_mtu);
	return 0;
}

/*
 * A DATA frame carries one whole frame: while broadcast dedup is on the
 * stack segments before handing frames to the bond.
 */
static netdev_features_t ztbond_fix_features(struct net_device *dev,
					     netdev_features_t features)
{
	struct ztbond *bond = netdev_priv(dev);

	if (bond->encap_on)
		features &= ~NETIF_F_GSO_MASK;
	return features;
}

static int ztbond_set_mac_address(struct net_device *dev, void *p)
{
	struct ztbond *bond = netdev_priv(dev);
	struct sockaddr *sa = p;
	struct ztbond_link *link;
	int err;

	if (!is_valid_ether_addr(sa->sa_data))
		return -EADDRNOTAVAIL;

	/* Links keep their own MACs; they only learn to accept the bond's. */
	list_for_each_entry(link, &bond->links, list) {
		err = dev_uc_add(link->dev, sa->sa_data);
		if (err)
			goto err_uc_add;
	}
	list_for_each_entry(link, &bond->links, list)
		dev_uc_del(link->dev, dev->dev_addr);
	eth_hw_addr_set(dev, sa->sa_data);
	return 0;

err_uc_add:
	list_for_each_entry_continue_reverse(link, &bond->links, list)
		dev_uc_del(link->dev, sa->sa_data);
	return err;
}

static void ztbond_change_rx_flags(struct net_device *dev, int change)
{
	struct ztbond *bond = netdev_priv(dev);
	struct ztbond_link *link;
	int inc;

	ASSERT_RTNL();
	list_for_each_entry(link, &bond->links, list) {
		if (change & IFF_PROMISC) {
			inc = dev->flags & IFF_PROMISC ? 1 : -1;
			dev_set_promiscuity(link->dev, inc);
		}
		if (change & IFF_ALLMULTI) {
			inc = dev->flags & IFF_ALLMULTI ? 1 : -1;
			dev_set_allmulti(link->dev, inc);
		}
	}
}

/* Called with the bond's address lists locked (BH); RCU walk of links. */
static void ztbond_set_rx_mode(struct net_device *dev)
{
	struct ztbond *bond = netdev_priv(dev);
	struct ztbond_link *link;

	rcu_read_lock();
	list_for_each_entry_rcu(link, &bond->links, list) {
		dev_uc_sync_multiple(link->dev, dev);
		dev_mc_sync_multiple(link->dev, dev);
	}
	rcu_read_unlock();
}

static int ztbond_open(struct net_device *dev)
{
	struct ztbond *bond = netdev_priv(dev);
	int err;

	err = ztbond_rebuild(bond);
	if (!err)
		ztbond_monitor_kick(bond);
	return err;
}

static int ztbond_stop(struct net_device *dev)
{
	struct ztbond *bond = netdev_priv(dev);

	cancel_delayed_work(&bond->state_work);
	return 0;
}

static int ztbond_add_slave(struct net_device *dev, struct net_device *slave,
			    struct netlink_ext_ack *extack)
{
	struct ztbond_link_cfg cfg;

	ztbond_link_cfg_default(&cfg);
	return ztbond_link_add(netdev_priv(dev), slave, &cfg, extack);
}

static int ztbond_del_slave(struct net_device *dev, struct net_device *slave)
{
	return ztbond_link_del(netdev_priv(dev), slave, NULL);
}

static int ztbond_init(struct net_device *dev)
{
	struct ztbond *bond = netdev_priv(dev);
	int err = -ENOMEM;

	bond->stats = netdev_alloc_pcpu_stats(struct ztbond_pcpu_stats);
	if (!bond->stats)
		goto err_stats;
	bond->rr = alloc_percpu(struct ztbond_rr);
	if (!bond->rr)
		goto err_rr;
	err = ztbond_monitor_init(bond);
	if (err)
		goto err_monitor;
	err = ztbond_reorder_init(bond);
	if (err)
		goto err_reorder;

	netdev_lockdep_set_classes(dev);
	netif_carrier_off(dev);
	err = ztbond_rebuild(bond);
	if (err)
		goto err_rebuild;
	return 0;

err_rebuild:
	ztbond_reorder_free(bond);
err_reorder:
	ztbond_monitor_free(bond);
err_monitor:
	free_percpu(bond->rr);
	bond->rr = NULL;
err_rr:
	free_percpu(bond->stats);
	bond->stats = NULL;
err_stats:
	return err;
}

static void ztbond_uninit(struct net_device *dev)
{
	struct ztbond *bond = netdev_priv(dev);

	ztbond_monitor_stop(bond);
	ztbond_link_release_all(bond);
	ztbond_reorder_free(bond);
	cancel_delayed_work_sync(&bond->state_work);
	ztbond_snap_free(bond);
	ztbond_peers_set(bond, NULL, 0, 0);
	ztbond_aware_free(bond);
	ztbond_nl_notify(bond, ZTBOND_EVENT_BOND_DEL, NULL);
}

/* After the last reference is gone: no reader of the counters is left. */
static void ztbond_destructor(struct net_device *dev)
{
	struct ztbond *bond = netdev_priv(dev);

	ztbond_monitor_free(bond);
	free_percpu(bond->rr);
	free_percpu(bond->stats);
}

static const struct net_device_ops ztbond_netdev_ops = {
	.ndo_init		= ztbond_init,
	.ndo_uninit		= ztbond_uninit,
	.ndo_open		= ztbond_open,
	.ndo_stop		= ztbond_stop,
	.ndo_start_xmit		= ztbond_xmit,
	.ndo_get_stats64	= ztbond_get_stats64,
	.ndo_change_mtu		= ztbond_change_mtu,
	.ndo_set_mac_address	= ztbond_set_mac_address,
	.ndo_change_rx_flags	= ztbond_change_rx_flags,
	.ndo_set_rx_mode	= ztbond_set_rx_mode,
	.ndo_validate_addr	= eth_validate_addr,
	.ndo_add_slave		= ztbond_add_slave,
	.ndo_del_slave		= ztbond_del_slave,
	.ndo_features_check	= passthru_features_check,
	.ndo_fix_features	= ztbond_fix_features,
};

/* ZeroTier's defaults where its code and documentation agree, else its code's. */
void ztbond_cfg_default(struct ztbond_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->policy = ZTBOND_POLICY_NONE;
	cfg->link_select = ZTBOND_SELECT_ALWAYS;
	cfg->packets_per_link = ZTBOND_DEF_PACKETS_PER_LINK;
	cfg->failover_interval = ZTBOND_DEF_FAILOVER_INTERVAL_MS;
	cfg->monitor = ZTBOND_MONITOR_DYNAMIC;
	cfg->balance = ZTBOND_BALANCE_FLOW_DYNAMIC;
	cfg->flow_max = ZTBOND_DEF_FLOW_MAX;
	cfg->flow_expire = ZTBOND_FLOW_EXPIRE_MS;
	cfg->punish_base = ZTBOND_DEF_PUNISH_BASE_MS;
	cfg->punish_max = ZTBOND_DEF_PUNISH_MAX_MS;
	cfg->dedup = true;		/* ZeroTier's default */
	cfg->reorder_timeout = ZTBOND_DEF_REORDER_TIMEOUT_MS;
	ztbe_qparams_default(&cfg->qp);
	cfg->qw_default = true;
	ztbond_cfg_default_weights(cfg);
}

static void ztbond_setup(struct net_device *dev)
{
	struct ztbond *bond = netdev_priv(dev);

	ether_setup(dev);
	dev->netdev_ops = &ztbond_netdev_ops;
	dev->needs_free_netdev = true;
	dev->priv_destructor = ztbond_destructor;
	dev->flags |= IFF_MASTER;
	/*
	 * No queue of our own: the links have theirs. Keep the dst for the
	 * link's transmit and never accept shared skbs, since the source MAC
	 * is rewritten per link.
	 */
	dev->priv_flags |= IFF_NO_QUEUE | IFF_UNICAST_FLT;
	dev->priv_flags &= ~(IFF_XMIT_DST_RELEASE | IFF_TX_SKB_SHARING);
	ztbond_compat_set_lltx_netns_local(dev);
	dev->hw_features = ZTBOND_FEATURES;
	dev->features |= ZTBOND_FEATURES;
	dev->vlan_features = ZTBOND_FEATURES;
	dev->min_mtu = ETH_MIN_MTU;
	dev->max_mtu = ETH_MAX_MTU;
	eth_hw_addr_random(dev);

	bond->dev = dev;
	INIT_LIST_HEAD(&bond->links);
	INIT_DELAYED_WORK(&bond->state_work, ztbond_state_work);
	bond->mtu_auto = true;
	ztbond_cfg_default(&bond->cfg);
	spin_lock_init(&bond->dedup_lock);
	/* as the links' sequences: increasing across a restart of the bond */
	atomic64_set(&bond->data_seq, ktime_get_real_ns());
}

static int ztbond_validate(struct nlattr *tb[], struct nlattr *data[],
			   struct netlink_ext_ack *extack)
{
	int i;

	/* IFLA_INFO_DATA is what ip -d link shows; it is not a way in */
	for (i = 1; data && i <= IFLA_ZTBOND_MAX; i++) {
		if (data[i]) {
			NL_SET_ERR_MSG_ATTR(extack, data[i],
					    "ztbond: parameters are set with ztbondctl (generic netlink)");
			return -EOPNOTSUPP;
		}
	}
	if (tb[IFLA_ADDRESS]) {
		if (nla_len(tb[IFLA_ADDRESS]) != ETH_ALEN) {
			NL_SET_ERR_MSG(extack, "ztbond: MAC address must be 6 bytes");
			return -EINVAL;
		}
		if (!is_valid_ether_addr(nla_data(tb[IFLA_ADDRESS]))) {
			NL_SET_ERR_MSG(extack, "ztbond: MAC address is not unicast");
			return -EADDRNOTAVAIL;
		}
	}
	return 0;
}

struct rtnl_link_ops ztbond_link_ops __read_mostly = {
	.kind		= ZTBOND_KIND,
	.priv_size	= sizeof(struct ztbond),
	.setup		= ztbond_setup,
	.validate	= ztbond_validate,
	/* ip -d link: read-only (linkinfo.c) */
	.maxtype	= IFLA_ZTBOND_MAX,
	.get_size	= ztbond_get_size,
	.fill_info	= ztbond_fill_info,
	.slave_maxtype	= IFLA_ZTBOND_SLAVE_MAX,
	.get_slave_size	= ztbond_get_slave_size,
	.fill_slave_info = ztbond_fill_slave_info,
};

/* Creation through generic netlink: the same device `ip link add` makes. */
struct ztbond *ztbond_create(struct net *net, const char *name,
			     struct netlink_ext_ack *extack)
{
	struct net_device *dev;
	int err;

	ASSERT_RTNL();
	if (__dev_get_by_name(net, name)) {
		NL_SET_ERR_MSG(extack, "ztbond: a device with that name already exists");
		return ERR_PTR(-EEXIST);
	}
	dev = alloc_netdev(sizeof(struct ztbond), name, NET_NAME_USER,
			   ztbond_setup);
	if (!dev)
		return ERR_PTR(-ENOMEM);
	dev_net_set(dev, net);
	dev->rtnl_link_ops = &ztbond_link_ops;
	err = register_netdevice(dev);
	if (err) {
		NL_SET_ERR_MSG(extack, "cannot register the bond device");
		free_netdev(dev);
		return ERR_PTR(err);
	}
	return netdev_priv(dev);
}
