// SPDX-License-Identifier: GPL-2.0
/*
 * ztbond: what "ip -d link show" reports (IFLA_INFO_DATA of the bond,
 * IFLA_INFO_SLAVE_DATA of each link). Read-only: changes go through the
 * generic netlink family. rtnetlink may call these under RTNL or only
 * under RCU, so they read the link through RCU and the configuration with
 * READ_ONCE, as bonding's fill_info does.
 */
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <net/rtnetlink.h>

#include "ztbond_priv.h"

size_t ztbond_get_size(const struct net_device *dev)
{
	return nla_total_size(sizeof(u8)) +		/* POLICY */
	       nla_total_size(ZTBOND_POLICY_NAME_MAX) +	/* POLICY_NAME */
	       nla_total_size(sizeof(u32)) +		/* ACTIVE_LINK */
	       nla_total_size(sizeof(u32)) +		/* LINKS */
	       nla_total_size(sizeof(u32)) +		/* FAILOVER_INTERVAL */
	       nla_total_size(sizeof(u8)) +		/* LINK_SELECT */
	       nla_total_size(sizeof(u8));		/* AUTH */
}

int ztbond_fill_info(struct sk_buff *skb, const struct net_device *dev)
{
	struct ztbond *bond = netdev_priv(dev);
	char name[ZTBOND_POLICY_NAME_MAX];
	struct ztbond_link *active;
	u32 ifindex;

	rcu_read_lock();
	active = READ_ONCE(bond->active);
	ifindex = active ? READ_ONCE(active->dev->ifindex) : 0;
	rcu_read_unlock();
	strscpy(name, bond->cfg.policy_name, sizeof(name));

	if (nla_put_u8(skb, IFLA_ZTBOND_POLICY, READ_ONCE(bond->cfg.policy)) ||
	    (name[0] && nla_put_string(skb, IFLA_ZTBOND_POLICY_NAME, name)) ||
	    nla_put_u32(skb, IFLA_ZTBOND_ACTIVE_LINK, ifindex) ||
	    nla_put_u32(skb, IFLA_ZTBOND_LINKS, READ_ONCE(bond->nlinks)) ||
	    nla_put_u32(skb, IFLA_ZTBOND_FAILOVER_INTERVAL,
			READ_ONCE(bond->cfg.failover_interval)) ||
	    nla_put_u8(skb, IFLA_ZTBOND_LINK_SELECT,
		       READ_ONCE(bond->cfg.link_select)) ||
	    nla_put_u8(skb, IFLA_ZTBOND_AUTH, READ_ONCE(bond->cfg.auth)))
		return -EMSGSIZE;
	return 0;
}

size_t ztbond_get_slave_size(const struct net_device *bond_dev,
				    const struct net_device *slave_dev)
{
	return 4 * nla_total_size(sizeof(u8)) +	/* STATE, MODE, ACTIVE, ELIGIBLE */
	       3 * nla_total_size(sizeof(u32));	/* QUALITY, PUNISHED_MS, FAILURES */
}

int ztbond_fill_slave_info(struct sk_buff *skb,
				  const struct net_device *bond_dev,
				  const struct net_device *slave_dev)
{
	struct ztbond *bond = netdev_priv(bond_dev);
	struct ztbond_link *link;
	int err = 0;

	rcu_read_lock();
	link = ztbond_link_get_rcu(slave_dev);
	if (link && link->bond == bond &&
	    (nla_put_u8(skb, IFLA_ZTBOND_SLAVE_STATE, READ_ONCE(link->state)) ||
	     nla_put_u8(skb, IFLA_ZTBOND_SLAVE_MODE, READ_ONCE(link->cfg.mode)) ||
	     nla_put_u8(skb, IFLA_ZTBOND_SLAVE_ACTIVE,
			ztbond_link_carries(bond, link)) ||
	     nla_put_u8(skb, IFLA_ZTBOND_SLAVE_ELIGIBLE,
			READ_ONCE(link->eligible)) ||
	     nla_put_u32(skb, IFLA_ZTBOND_SLAVE_QUALITY,
			 READ_ONCE(link->quality)) ||
	     nla_put_u32(skb, IFLA_ZTBOND_SLAVE_PUNISHED_MS,
			 READ_ONCE(link->punish_ms)) ||
	     nla_put_u32(skb, IFLA_ZTBOND_SLAVE_FAILURES,
			 READ_ONCE(link->failures))))
		err = -EMSGSIZE;
	rcu_read_unlock();
	return err;
}
