// SPDX-License-Identifier: GPL-2.0
/*
 * ztbond: links (the bond's ports). Enslaving and releasing, the receive
 * handler, link state with upDelay/downDelay, and the netdevice notifier
 * that follows carrier, admin state, MTU, address and unregistration
 * (a ZeroTier tap vanishes with its zerotier-one process).
 */
#include <linux/netdevice.h>
#include <linux/etherdevice.h>
#include <linux/if_arp.h>
#include <linux/rtnetlink.h>
#include <linux/jiffies.h>

#include "ztbond_priv.h"
#include "compat.h"

static rx_handler_result_t ztbond_handle_frame(struct sk_buff **pskb);

struct ztbond_link *ztbond_link_get(const struct net_device *dev)
{
	if (rcu_access_pointer(dev->rx_handler) != ztbond_handle_frame)
		return NULL;
	return rtnl_dereference(dev->rx_handler_data);
}

/* Under RCU (rtnetlink's fill_slave_info may hold only that). */
struct ztbond_link *ztbond_link_get_rcu(const struct net_device *dev)
{
	if (rcu_access_pointer(dev->rx_handler) != ztbond_handle_frame)
		return NULL;
	return rcu_dereference_rtnl(dev->rx_handler_data);
}

/*
 * Does the link carry traffic now: the active link where the policy has
 * one, else any usable link of a policy that spreads traffic.
 */
bool ztbond_link_carries(const struct ztbond *bond,
			 const struct ztbond_link *link)
{
	const struct ztbond_link *active = READ_ONCE(bond->active);
	u8 policy = READ_ONCE(bond->cfg.policy);

	if (active)
		return active == link;
	return ztbond_link_usable(link) && policy != ZTBOND_POLICY_NONE &&
	       policy != ZTBOND_POLICY_ACTIVE_BACKUP;
}

struct ztbond_link *ztbond_link_by_name(struct ztbond *bond, const char *name)
{
	struct ztbond_link *link;

	list_for_each_entry(link, &bond->links, list)
		if (!strcmp(link->dev->name, name))
			return link;
	return NULL;
}

void ztbond_link_cfg_default(struct ztbond_link_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = ZTBOND_LINK_MODE_SPARE;	/* ZeroTier's code default */
	cfg->enabled = true;
	cfg->up_delay = ZTBOND_INHERIT;
	cfg->down_delay = ZTBOND_INHERIT;
	cfg->failover_interval = ZTBOND_INHERIT;
}

bool ztbond_link_usable(const struct ztbond_link *link)
{
	return link->state == ZTBOND_LINK_STATE_UP ||
	       link->state == ZTBOND_LINK_STATE_GOING_DOWN;
}

/*
 * Receive: every link delivers up the bond (ZeroTier members all receive;
 * there is no "inactive slave" to silence). A link keeps its own MAC, so a
 * frame for any link MAC or for the bond MAC is for this host; the link's
 * eth_type_trans() only knew its own address. A frame whose source is one
 * of our link MACs is our own, looped back by a bridge or a broadcast
 * policy, and is dropped.
 */
static rx_handler_result_t ztbond_handle_frame(struct sk_buff **pskb)
{
	struct sk_buff *skb = *pskb;
	const struct ztbond_snap *snap;
	struct ztbond_link *link;
	struct ztbond *bond;
	const struct ethhdr *eth;

	skb = skb_share_check(skb, GFP_ATOMIC);
	if (unlikely(!skb))
		return RX_HANDLER_CONSUMED;
	*pskb = skb;

	link = rcu_dereference(skb->dev->rx_handler_data);
	bond = link->bond;
	snap = rcu_dereference(bond->snap);
	eth = eth_hdr(skb);

	if (unlikely(ztbond_snap_has_mac(snap, eth->h_source))) {
		ztbond_stats_add_rx_drop(bond->stats);
		kfree_skb(skb);
		return RX_HANDLER_CONSUMED;
	}
	/*
	 * ztbond peers' HELLO and PROBEs are ours, not the stack's; their
	 * DATA frames carry a frame for the bond
	 */
	if (ztbond_proto_match(skb)) {
		if (ztbond_data_match(skb))
			return ztbond_data_rx(link, snap, pskb);
		ztbond_proto_rx(link, snap, skb);
		return RX_HANDLER_CONSUMED;
	}
	eth = eth_hdr(skb);	/* the test may have moved the data */
	if (skb->pkt_type == PACKET_OTHERHOST &&
	    (ether_addr_equal(eth->h_dest, bond->dev->dev_addr) ||
	     ztbond_snap_has_mac(snap, eth->h_dest)))
		skb->pkt_type = PACKET_HOST;

	ztbond_stats_add_rx(link->stats, skb->len + ETH_HLEN);
	ztbond_stats_add_rx(bond->stats, skb->len + ETH_HLEN);
	skb->dev = bond->dev;
	return RX_HANDLER_ANOTHER;
}

static u32 ztbond_link_delay(const struct ztbond_link *link, bool up)
{
	const struct ztbond *bond = link->bond;
	u32 v = up ? link->cfg.up_delay : link->cfg.down_delay;

	if (v != ZTBOND_INHERIT)
		return v;
	return up ? bond->cfg.up_delay : bond->cfg.down_delay;
}

/*
 * A link that carried traffic left the bond. ZeroTier's refractory
 * period (punishment) applies when the probes or the quality maxima threw
 * it out, and to a carrier failure that repeats within the flap window: a
 * single carrier loss (a zerotier-one restart) is not held against a link.
 */
#define ZTBOND_FLAP_WINDOW_NS	(60ULL * NSEC_PER_SEC)

/* Returns true if the link was punished. */
static bool ztbond_link_failed(struct ztbond_link *link)
{
	struct net_device *dev = link->dev;
	u64 now = ktime_get_ns();
	bool carrier_loss = !(netif_running(dev) && netif_carrier_ok(dev));
	bool punished = false;

	link->failures++;
	if (!carrier_loss ||
	    (link->last_fail_ns && now - link->last_fail_ns < ZTBOND_FLAP_WINDOW_NS))
		punished = ztbond_link_punish(link);
	if (carrier_loss) {
		link->last_fail_ns = now;
		ztbond_link_cut(link);
	}
	return punished;
}

/*
 * Advance one link's state from what the device says now. Returns the
 * event that tells the change (LINK_STATE, LINK_PUNISHED when it left and
 * was punished, LINK_READMITTED when its punishment ended), or 0 if the
 * state did not change. A pending delay leaves the link in
 * GOING_UP/GOING_DOWN with a deadline that ztbond_state_work() checks.
 */
static u8 ztbond_link_eval(struct ztbond_link *link)
{
	bool healthy = ztbond_link_healthy(link);
	unsigned long now = jiffies;
	u8 old = link->state, next = old;
	u32 delay;

	if (!link->cfg.enabled) {
		next = ZTBOND_LINK_STATE_DISABLED;
	} else if (healthy) {
		switch (old) {
		case ZTBOND_LINK_STATE_UP:
		case ZTBOND_LINK_STATE_GOING_DOWN:
			next = ZTBOND_LINK_STATE_UP;
			break;
		case ZTBOND_LINK_STATE_GOING_UP:
			if (time_after_eq(now, link->deadline))
				next = ZTBOND_LINK_STATE_UP;
			break;
		default:
			if (ztbond_link_punish_left(link)) {
				next = ZTBOND_LINK_STATE_PUNISHED;
				break;
			}
			delay = ztbond_link_delay(link, true);
			if (delay) {
				next = ZTBOND_LINK_STATE_GOING_UP;
				link->deadline = now + msecs_to_jiffies(delay);
			} else {
				next = ZTBOND_LINK_STATE_UP;
			}
		}
	} else {
		switch (old) {
		case ZTBOND_LINK_STATE_UP:
			delay = ztbond_link_delay(link, false);
			if (delay) {
				next = ZTBOND_LINK_STATE_GOING_DOWN;
				link->deadline = now + msecs_to_jiffies(delay);
			} else {
				next = ZTBOND_LINK_STATE_DOWN;
			}
			break;
		case ZTBOND_LINK_STATE_GOING_DOWN:
			if (time_after_eq(now, link->deadline))
				next = ZTBOND_LINK_STATE_DOWN;
			break;
		default:
			next = ZTBOND_LINK_STATE_DOWN;
		}
	}

	if (next == old)
		return 0;
	link->state = next;
	/* leaving the bond, or failing again while on the way back: a flap */
	if (next == ZTBOND_LINK_STATE_DOWN && old != ZTBOND_LINK_STATE_DISABLED &&
	    ztbond_link_failed(link))
		return ZTBOND_EVENT_LINK_PUNISHED;
	if (old == ZTBOND_LINK_STATE_PUNISHED &&
	    (next == ZTBOND_LINK_STATE_UP || next == ZTBOND_LINK_STATE_GOING_UP))
		return ZTBOND_EVENT_LINK_READMITTED;
	return ZTBOND_EVENT_LINK_STATE;
}

/* May carry traffic: enabled, healthy and not serving a punishment. */
bool ztbond_link_eligible(struct ztbond_link *link)
{
	return link->cfg.enabled && ztbond_link_healthy(link) &&
	       !ztbond_link_punish_left(link);
}

/* Re-evaluate every link, publish, notify, and arm the delay timer. */
void ztbond_links_eval(struct ztbond *bond)
{
	unsigned long next = 0;
	struct ztbond_link *link;
	bool changed = false, pending = false;

	ASSERT_RTNL();
	list_for_each_entry(link, &bond->links, list) {
		u8 event = ztbond_link_eval(link);
		bool eligible = ztbond_link_eligible(link);

		if (event) {
			changed = true;
			ztbond_nl_notify(bond, event, link);
		}
		if (eligible != link->eligible) {
			link->eligible = eligible;
			ztbond_nl_notify(bond, ZTBOND_EVENT_LINK_ELIGIBLE, link);
		}
		if (link->state == ZTBOND_LINK_STATE_GOING_UP ||
		    link->state == ZTBOND_LINK_STATE_GOING_DOWN) {
			if (!pending || time_before(link->deadline, next))
				next = link->deadline;
			pending = true;
		}
	}
	if (changed)
		ztbond_rebuild(bond);
	if (pending)
		mod_delayed_work(system_wq, &bond->state_work,
				 time_after(next, jiffies) ? next - jiffies : 0);
}

void ztbond_state_work(struct work_struct *work)
{
	struct ztbond *bond = container_of(to_delayed_work(work), struct ztbond,
					   state_work);

	/*
	 * ztbond_uninit() cancels this work under RTNL: never block on RTNL
	 * here, retry a tick later instead (as bonding's monitors do).
	 */
	if (!rtnl_trylock()) {
		schedule_delayed_work(&bond->state_work, 1);
		return;
	}
	ztbond_links_eval(bond);
	rtnl_unlock();
}

static int ztbond_link_check(struct ztbond *bond, struct net_device *dev,
			     struct netlink_ext_ack *extack)
{
	if (dev == bond->dev) {
		NL_SET_ERR_MSG(extack, "ztbond: a bond cannot be its own link");
		return -EINVAL;
	}
	if (dev->flags & IFF_LOOPBACK) {
		NL_SET_ERR_MSG(extack, "ztbond: a loopback device cannot be a link");
		return -EINVAL;
	}
	if (dev->type != ARPHRD_ETHER || dev->addr_len != ETH_ALEN) {
		NL_SET_ERR_MSG(extack, "ztbond: only Ethernet devices can be links");
		return -EINVAL;
	}
	if (netif_is_ztbond(dev)) {
		NL_SET_ERR_MSG(extack, "ztbond: a ztbond cannot be a link of a ztbond");
		return -EINVAL;
	}
	if (ztbond_link_get(dev)) {
		NL_SET_ERR_MSG(extack, "ztbond: device is already a link of a ztbond");
		return -EBUSY;
	}
	if (netdev_master_upper_dev_get(dev)) {
		NL_SET_ERR_MSG(extack, "ztbond: device already has a master");
		return -EBUSY;
	}
	if (netdev_is_rx_handler_busy(dev)) {
		NL_SET_ERR_MSG(extack, "ztbond: device is a port of a bridge or macvlan");
		return -EBUSY;
	}
	if (!is_valid_ether_addr(dev->dev_addr)) {
		NL_SET_ERR_MSG(extack, "ztbond: device has no valid unicast MAC address");
		return -EADDRNOTAVAIL;
	}
	if (bond->nlinks >= ZTBOND_MAX_LINKS) {
		NL_SET_ERR_MSG(extack, "ztbond: bond already has the maximum of 64 links");
		return -ENOSPC;
	}
	return 0;
}

/* Mirror the bond's promiscuity and allmulti onto a link (inc = 1 or -1). */
static void ztbond_link_rx_flags(struct ztbond *bond, struct ztbond_link *link,
				 int inc)
{
	if (bond->dev->flags & IFF_PROMISC)
		dev_set_promiscuity(link->dev, inc);
	if (bond->dev->flags & IFF_ALLMULTI)
		dev_set_allmulti(link->dev, inc);
}

/*
 * Enslave. Unlike bonding, a link that is already up is fine (ZeroTier
 * brings its tap up by itself) and its MAC is left alone: ZeroTier only
 * carries frames whose source is the member's own MAC.
 */
int ztbond_link_add(struct ztbond *bond, struct net_device *dev,
		    const struct ztbond_link_cfg *cfg,
		    struct netlink_ext_ack *extack)
{
	struct ztbond_link *link;
	int err;

	ASSERT_RTNL();
	err = ztbond_link_check(bond, dev, extack);
	if (err)
		return err;

	link = kzalloc(sizeof(*link), GFP_KERNEL);
	if (!link)
		return -ENOMEM;
	link->stats = netdev_alloc_pcpu_stats(struct ztbond_pcpu_stats);
	if (!link->stats) {
		err = -ENOMEM;
		goto err_alloc_stats;
	}
	link->dev = dev;
	link->bond = bond;
	link->cfg = *cfg;
	link->state = ZTBOND_LINK_STATE_DOWN;
	/* a free id exists: nlinks < ZTBOND_MAX_LINKS was checked */
	link->id = __ffs64(~bond->link_ids);
	ztbond_link_monitor_init(link);

	/*
	 * IFF_SLAVE before opening: IPv6 addrconf leaves slaves alone, so a
	 * link brought up by us gets no address and sends no ND of its own.
	 */
	link->had_no_addrconf = ztbond_compat_no_addrconf(dev);
	dev->flags |= IFF_SLAVE;
	ztbond_compat_set_no_addrconf(dev, true);
	if (!(dev->flags & IFF_UP)) {
		err = dev_open(dev, extack);
		if (err) {
			NL_SET_ERR_MSG(extack, "ztbond: cannot bring the link up");
			goto err_open;
		}
		link->opened = true;
	}

	err = dev_uc_add(dev, bond->dev->dev_addr);
	if (err)
		goto err_uc_add;
	ztbond_proto_join(link);

	err = netdev_rx_handler_register(dev, ztbond_handle_frame, link);
	if (err) {
		NL_SET_ERR_MSG(extack, "ztbond: cannot register the receive handler");
		goto err_rx_handler;
	}

	err = netdev_master_upper_dev_link(dev, bond->dev, link, NULL, extack);
	if (err)
		goto err_upper_link;

	ztbond_link_rx_flags(bond, link, 1);
	netif_addr_lock_bh(bond->dev);
	dev_uc_sync_multiple(dev, bond->dev);
	dev_mc_sync_multiple(dev, bond->dev);
	netif_addr_unlock_bh(bond->dev);

	list_add_tail_rcu(&link->list, &bond->links);
	bond->nlinks++;
	bond->link_ids |= 1ULL << link->id;
	if (bond->dev->needed_headroom < dev->needed_headroom +
	    (bond->encap_on ? ZTBOND_DATA_OVERHEAD : 0))
		bond->dev->needed_headroom = dev->needed_headroom +
			(bond->encap_on ? ZTBOND_DATA_OVERHEAD : 0);
	ztbond_update_mtu(bond);
	ztbond_link_eval(link);
	link->eligible = ztbond_link_eligible(link);
	ztbond_rebuild(bond);
	ztbond_links_eval(bond);	/* arm the upDelay timer if needed */
	ztbond_nl_notify(bond, ZTBOND_EVENT_LINK_ADD, link);
	ztbond_monitor_kick(bond);
	netdev_info(bond->dev, "link %s added\n", dev->name);
	return 0;

err_upper_link:
	netdev_rx_handler_unregister(dev);
err_rx_handler:
	ztbond_proto_leave(link);
	dev_uc_del(dev, bond->dev->dev_addr);
err_uc_add:
	if (link->opened)
		dev_close(dev);
err_open:
	ztbond_compat_set_no_addrconf(dev, link->had_no_addrconf);
	dev->flags &= ~IFF_SLAVE;
	free_percpu(link->stats);
err_alloc_stats:
	kfree(link);
	return err;
}

static void ztbond_link_free_rcu(struct rcu_head *head)
{
	struct ztbond_link *link = container_of(head, struct ztbond_link, rcu);

	free_percpu(link->stats);
	kfree(link);
}

/* Release: undo every step of ztbond_link_add(), in reverse. */
static void ztbond_link_release(struct ztbond *bond, struct ztbond_link *link)
{
	struct net_device *dev = link->dev;

	ASSERT_RTNL();
	list_del_rcu(&link->list);
	bond->nlinks--;
	bond->link_ids &= ~(1ULL << link->id);
	if (bond->active == link)
		bond->active = NULL;
	if (bond->pinned == link)
		bond->pinned = NULL;
	/* Publish a snapshot without the link before tearing it down. */
	ztbond_rebuild(bond);
	ztbond_nl_notify(bond, ZTBOND_EVENT_LINK_DEL, link);

	/* the unsync helpers take both address locks themselves */
	dev_uc_unsync(dev, bond->dev);
	dev_mc_unsync(dev, bond->dev);
	ztbond_link_rx_flags(bond, link, -1);
	ztbond_compat_set_no_addrconf(dev, link->had_no_addrconf);
	dev->flags &= ~IFF_SLAVE;
	netdev_upper_dev_unlink(dev, bond->dev);
	/* waits for receivers still using the handler (synchronize_net) */
	netdev_rx_handler_unregister(dev);
	ztbond_proto_leave(link);
	dev_uc_del(dev, bond->dev->dev_addr);
	if (link->opened && dev->reg_state == NETREG_REGISTERED)
		dev_close(dev);
	netdev_info(bond->dev, "link %s removed\n", dev->name);
	/* transmitters may still hold the old snapshot */
	call_rcu(&link->rcu, ztbond_link_free_rcu);
	ztbond_update_mtu(bond);
}

int ztbond_link_del(struct ztbond *bond, struct net_device *dev,
		    struct netlink_ext_ack *extack)
{
	struct ztbond_link *link = ztbond_link_get(dev);

	if (!link || link->bond != bond) {
		NL_SET_ERR_MSG(extack, "ztbond: device is not a link of this bond");
		return -ENOENT;
	}
	ztbond_link_release(bond, link);
	return 0;
}

void ztbond_link_release_all(struct ztbond *bond)
{
	struct ztbond_link *link, *tmp;

	list_for_each_entry_safe(link, tmp, &bond->links, list)
		ztbond_link_release(bond, link);
}

static int ztbond_netdev_event(struct notifier_block *nb,
			       unsigned long event, void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct ztbond_link *link = ztbond_link_get(dev);
	struct ztbond *bond;

	if (!link)
		return NOTIFY_DONE;
	bond = link->bond;

	switch (event) {
	case NETDEV_UP:
	case NETDEV_DOWN:
	case NETDEV_CHANGE:
		ztbond_links_eval(bond);
		/* back with dead paths: heard again the sooner, the better */
		if (READ_ONCE(link->probe_dead) && netif_running(dev) &&
		    netif_carrier_ok(dev))
			ztbond_monitor_probe_link(bond, link);
		break;
	case NETDEV_CHANGEMTU:
		ztbond_update_mtu(bond);
		break;
	case NETDEV_CHANGEADDR:
		/* the receive address table holds link MACs */
		ztbond_rebuild(bond);
		break;
	case NETDEV_PRE_TYPE_CHANGE:
		/* a link must stay Ethernet */
		return NOTIFY_BAD;
	case NETDEV_UNREGISTER:
		/* also sent when the link moves to another namespace */
		ztbond_link_release(bond, link);
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block ztbond_notifier = {
	.notifier_call = ztbond_netdev_event,
};

int ztbond_notifier_register(void)
{
	return register_netdevice_notifier(&ztbond_notifier);
}

void ztbond_notifier_unregister(void)
{
	unregister_netdevice_notifier(&ztbond_notifier);
}
