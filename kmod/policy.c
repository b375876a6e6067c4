// SPDX-License-Identifier: GPL-2.0
/*
 * ztbond: the static policies (none, active-backup, broadcast, balance-rr,
 * balance-xor) and the snapshot they transmit with.
 *
 * Each policy is one ops struct: build() turns the link set into a
 * snapshot on the control path (the decisions live in engine/), xmit() sends
 * one frame with it. The snapshot carries the xmit function, so the packet
 * path never switches on the policy and never checks for "no links".
 */
#include <linux/netdevice.h>
#include <linux/etherdevice.h>
#include <linux/if_arp.h>
#include <linux/rtnetlink.h>
#include <linux/random.h>
#include <linux/jhash.h>
#include <net/ip.h>
#include <linux/ipv6.h>
#include <linux/icmpv6.h>
#include <linux/inetdevice.h>
#include <net/checksum.h>
#include <net/ndisc.h>
#include <net/arp.h>
#include <net/neighbour.h>
#include <net/flow_dissector.h>

#include "ztbond_priv.h"
#include "compat.h"

/* ---- receive address table ------------------------------------------ */

static u32 ztbond_mac_slot(const u8 *addr)
{
	/* the low bytes of a MAC are its most random ones */
	return (addr[5] ^ (addr[4] << 1) ^ (addr[3] << 2)) &
	       (ZTBOND_MAC_SLOTS - 1);
}

static void ztbond_snap_add_mac(struct ztbond_snap *snap, const u8 *addr)
{
	u32 slot = ztbond_mac_slot(addr), i;

	for (i = 0; i < ZTBOND_MAC_SLOTS; i++) {
		u32 s = (slot + i) & (ZTBOND_MAC_SLOTS - 1);

		if (!snap->mac_used[s]) {
			ether_addr_copy(snap->mac[s], addr);
			snap->mac_used[s] = true;
			snap->nmacs++;
			return;
		}
		if (ether_addr_equal(snap->mac[s], addr))
			return;
	}
}

/*
 * Per packet: bounded by the slot count, and with at most 64 MACs in 128
 * slots a miss ends at the first empty slot, usually the first probe.
 */
bool ztbond_snap_has_mac(const struct ztbond_snap *snap, const u8 *addr)
{
	u32 slot = ztbond_mac_slot(addr), i;

	for (i = 0; i < ZTBOND_MAC_SLOTS; i++) {
		u32 s = (slot + i) & (ZTBOND_MAC_SLOTS - 1);

		if (!snap->mac_used[s])
			return false;
		if (ether_addr_equal(snap->mac[s], addr))
			return true;
	}
	return false;
}

/* ---- transmit ----------------------------------------------------------- */

/*
 * Neighbour discovery the bond originates names the bond's MAC in its
 * source or target link-layer address option, and a ZeroTier member that
 * is not a bridge cannot receive frames for that MAC: the option gets the
 * link's MAC, and the ICMPv6 checksum the difference (unless the device is
 * still to compute it). Options are walked within the payload length, at
 * least 8 bytes a step.
 */
static void ztbond_set_nd_lla(const u8 *bmac, const u8 *lmac,
			      struct sk_buff *skb)
{
	const unsigned int off = ETH_HLEN + sizeof(struct ipv6hdr);
	struct icmp6hdr *icmp6;
	struct ipv6hdr *ip6;
	unsigned int len, pos;
	u8 *opt;

	if (!pskb_may_pull(skb, off + sizeof(*icmp6)))
		return;
	ip6 = (struct ipv6hdr *)(skb->data + ETH_HLEN);
	icmp6 = (struct icmp6hdr *)(skb->data + off);
	if (ip6->nexthdr != IPPROTO_ICMPV6)
		return;
	switch (icmp6->icmp6_type) {
	case NDISC_ROUTER_SOLICITATION:
		pos = 8;
		break;
	case NDISC_ROUTER_ADVERTISEMENT:
		pos = 16;
		break;
	case NDISC_NEIGHBOUR_SOLICITATION:
	case NDISC_NEIGHBOUR_ADVERTISEMENT:
		pos = 24;
		break;
	default:
		return;
	}
	len = ntohs(ip6->payload_len);
	if (len > skb->len - off || skb_ensure_writable(skb, off + len))
		return;
	icmp6 = (struct icmp6hdr *)(skb->data + off);
	for (; pos + 8 <= len; pos += opt[1] * 8) {
		opt = (u8 *)icmp6 + pos;
		if (!opt[1] || pos + opt[1] * 8 > len)
			return;
		if ((opt[0] != ND_OPT_SOURCE_LL_ADDR &&
		     opt[0] != ND_OPT_TARGET_LL_ADDR) || opt[1] != 1 ||
		    !ether_addr_equal_unaligned(opt + 2, bmac))
			continue;
		if (skb->ip_summed != CHECKSUM_PARTIAL)
			csum_replace_by_diff(&icmp6->icmp6_cksum,
					     csum_sub(csum_partial(lmac, ETH_ALEN, 0),
						      csum_partial(opt + 2, ETH_ALEN, 0)));
		memcpy(opt + 2, lmac, ETH_ALEN);
	}
}

/*
 * ZeroTier forwards a frame from a non-bridge member only if its source is
 * that member's MAC: frames the bond originates leave with the chosen
 * link's MAC, and so does the sender address of ARP and the link-layer
 * address options of neighbour discovery the bond originates. Bridged
 * frames (another source MAC) pass untouched.
 */
int ztbond_set_source(struct ztbond *bond, struct ztbond_link *link,
		      struct sk_buff *skb)
{
	const u8 *lmac = link->dev->dev_addr;
	struct ethhdr *eth = (struct ethhdr *)skb->data;
	struct arphdr *arp;
	u8 *sha;

	if (!ether_addr_equal(eth->h_source, bond->dev->dev_addr))
		return 0;
	if (unlikely(skb_cow_head(skb, 0)))
		return -ENOMEM;
	eth = (struct ethhdr *)skb->data;
	ether_addr_copy(eth->h_source, lmac);

	if (eth->h_proto == htons(ETH_P_IPV6)) {
		ztbond_set_nd_lla(bond->dev->dev_addr, lmac, skb);
		return 0;
	}
	if (eth->h_proto != htons(ETH_P_ARP))
		return 0;
	if (skb_ensure_writable(skb, ETH_HLEN + sizeof(*arp) + ETH_ALEN))
		return 0;	/* truncated ARP: send as is */
	arp = (struct arphdr *)(skb->data + ETH_HLEN);
	if (arp->ar_hrd != htons(ARPHRD_ETHER) || arp->ar_hln != ETH_ALEN)
		return 0;
	sha = (u8 *)(arp + 1);
	if (ether_addr_equal(sha, bond->dev->dev_addr))
		ether_addr_copy(sha, lmac);
	return 0;
}

bool ztbond_xmit_link(struct ztbond *bond, const struct ztbond_snap *snap,
		      struct ztbond_link *link, struct sk_buff *skb)
{
	unsigned int len = skb->len;

	if (unlikely(ztbond_set_source(bond, link, skb) ||
		     (snap->remotes && ztbond_remote_dst(snap, link, skb)))) {
		kfree_skb(skb);
		goto drop;
	}
	skb->dev = link->dev;
	if (unlikely(dev_queue_xmit(skb) != NET_XMIT_SUCCESS))
		goto drop;
	ztbond_stats_add_tx(link->stats, len);
	return true;

drop:
	ztbond_stats_add_tx_drop(link->stats);
	return false;
}

static bool ztbond_xmit_drop(struct ztbond *bond,
			     const struct ztbond_snap *snap,
			     struct sk_buff *skb)
{
	kfree_skb(skb);
	return false;
}

/* none and active-backup: the one link chosen on the control path. */
static bool ztbond_xmit_single(struct ztbond *bond,
			       const struct ztbond_snap *snap,
			       struct sk_buff *skb)
{
	return ztbond_xmit_link(bond, snap, snap->tx[0], skb);
}

static bool ztbond_xmit_copy(struct ztbond *bond,
			     const struct ztbond_snap *snap,
			     struct ztbond_link *link, struct sk_buff *skb,
			     const struct ztbond_remote *ep, u64 seq)
{
	if (ep)
		return ztbond_encap_xmit(bond, snap, link, skb, ep, seq, 0);
	return ztbond_xmit_link(bond, snap, link, skb);
}

/*
 * Every frame on every link. With dedup, a frame for a ztbond peer that
 * takes DATA frames gets one bond sequence number and goes out in a DATA
 * frame per link (data.c), so that the peer can drop the copies.
 */
static bool ztbond_xmit_broadcast(struct ztbond *bond,
				  const struct ztbond_snap *snap,
				  struct sk_buff *skb)
{
	const struct ztbond_remote *ep = NULL;
	const u8 *dst = ((struct ethhdr *)skb->data)->h_dest;
	struct sk_buff *nskb;
	bool sent = false, own;
	u64 seq = 0;
	u32 i;

	if (snap->remotes && !is_multicast_ether_addr(dst)) {
		ep = ztbond_remote_lookup(snap->remotes, dst);
		if (ep && ep->data && likely(ztbond_encap_prepare(skb)))
			seq = atomic64_inc_return(&bond->data_seq);
		else
			ep = NULL;
	}
	/*
	 * A frame of ours gets each link's source MAC, and a DATA frame a
	 * header of its own: each copy needs a private header. Copying it
	 * here (pskb_copy: the paged data stays shared) also leaves the
	 * original unshared for the last link; clones would all be copied
	 * again by the rewrite, the original included. A bridged frame
	 * leaves unchanged, so clones do.
	 */
	own = ep || ether_addr_equal(((struct ethhdr *)skb->data)->h_source,
				     bond->dev->dev_addr);
	for (i = 0; i + 1 < snap->ntx; i++) {
		nskb = own ? pskb_copy(skb, GFP_ATOMIC) : skb_clone(skb, GFP_ATOMIC);
		if (unlikely(!nskb)) {
			ztbond_stats_add_tx_drop(snap->tx[i]->stats);
			continue;
		}
		sent |= ztbond_xmit_copy(bond, snap, snap->tx[i], nskb, ep, seq);
	}
	sent |= ztbond_xmit_copy(bond, snap, snap->tx[snap->ntx - 1], skb, ep,
				 seq);
	return sent;
}

/*
 * balance-rr: packetsPerLink frames on a link, then the next one; the
 * position is per CPU (as in bonding), so no shared cache line is written.
 * packetsPerLink 0 picks a random link per frame.
 */
static u32 ztbond_rr_next(struct ztbond *bond, const struct ztbond_snap *snap)
{
	struct ztbond_rr *rr = this_cpu_ptr(bond->rr);
	u32 n = snap->ntx, idx;

	if (!snap->packets_per_link) {
		idx = reciprocal_scale(get_random_u32(), n);
	} else {
		idx = rr->idx < n ? rr->idx : 0;
		if (++rr->sent >= snap->packets_per_link) {
			rr->sent = 0;
			rr->idx = idx + 1 < n ? idx + 1 : 0;
		} else {
			rr->idx = idx;
		}
	}
	return idx;
}

static bool ztbond_xmit_rr(struct ztbond *bond,
			   const struct ztbond_snap *snap,
			   struct sk_buff *skb)
{
	return ztbond_xmit_link(bond, snap, snap->tx[ztbond_rr_next(bond, snap)],
				skb);
}

/*
 * balance-rr with dataHeader: a frame for a ztbond peer that restores
 * order goes in a DATA frame numbered in the sequence we keep for that
 * peer (reorder.c is the other end).
 */
static bool ztbond_xmit_rr_ordered(struct ztbond *bond,
				   const struct ztbond_snap *snap,
				   struct sk_buff *skb)
{
	struct ztbond_link *link = snap->tx[ztbond_rr_next(bond, snap)];
	const u8 *dst = ((struct ethhdr *)skb->data)->h_dest;
	const struct ztbond_remote *r;

	if (!is_multicast_ether_addr(dst)) {
		r = ztbond_remote_lookup(snap->remotes, dst);
		if (r && r->data && likely(ztbond_encap_prepare(skb)))
			return ztbond_encap_xmit(bond, snap, link, skb, r,
						 atomic64_inc_return(r->seq),
						 ZTBE_WF_ORDERED);
	}
	return ztbond_xmit_link(bond, snap, link, skb);
}

/*
 * ARP the bond sends goes by the neighbour it is about (the client a reply
 * answers, the address a request resolves): each client learns the MAC of
 * "its" link for the bond's address, so the clients' return traffic
 * spreads over the links as with bonding's ALB receive balancing. The
 * flow dissector gives ARP no addresses; without this every ARP frame
 * would hash alike and every client would answer to one link.
 * Returns 0 for anything but IPv4-over-Ethernet ARP. *client (if not NULL)
 * says whether the frame is about a neighbour, not a gratuitous ARP about
 * the bond's own address (sender and target address alike).
 */
u32 ztbond_arp_hash(struct sk_buff *skb, bool *client)
{
	const struct ethhdr *eth = (const struct ethhdr *)skb->data;
	const struct arphdr *arp;
	__be32 sip, tip;
	const u8 *p;

	if (likely(eth->h_proto != htons(ETH_P_ARP)))
		return 0;
	if (!pskb_may_pull(skb, ETH_HLEN + sizeof(*arp) + 2 * ETH_ALEN + 8))
		return 0;
	arp = (const struct arphdr *)(skb->data + ETH_HLEN);
	if (arp->ar_hrd != htons(ARPHRD_ETHER) ||
	    arp->ar_pro != htons(ETH_P_IP) ||
	    arp->ar_hln != ETH_ALEN || arp->ar_pln != 4)
		return 0;
	/* sha, sip, tha, then tip */
	p = (const u8 *)(arp + 1);
	memcpy(&sip, p + ETH_ALEN, sizeof(sip));
	memcpy(&tip, p + 2 * ETH_ALEN + 4, sizeof(tip));
	if (client)
		*client = sip != tip;
	return jhash_1word((__force u32)tip, 0) | 1;
}

/*
 * balance-xor: ZeroTier's flow id (src_port ^ dst_port ^ proto) for TCP,
 * UDP, SCTP and UDP-Lite. Other traffic, and IP fragments (whose later
 * pieces carry no ports), are spread by a hash of their addresses so that
 * each conversation stays on one link.
 *
 * Untagged IPv4, and IPv6 without extension headers, are read here, as
 * bonding's layer3+4 hash reads them: for them the flow dissector cost
 * 0.6 of a link's whole transmit (the transmit profile in
 * Documentation/benchmarks.md). Everything else, and anything this does
 * not find whole in the linear data, goes to the flow dissector, which
 * gives the same id for what both can read.
 */
static bool ztbond_xor_id_ip(const struct sk_buff *skb, u32 *id)
{
	unsigned int thoff = ETH_HLEN;
	const u8 *p;
	u8 proto;

	switch (((const struct ethhdr *)skb->data)->h_proto) {
	case htons(ETH_P_IP): {
		const struct iphdr *iph = (const void *)(skb->data + ETH_HLEN);

		if (skb_headlen(skb) < ETH_HLEN + sizeof(*iph) ||
		    iph->version != 4 || iph->ihl < 5 || ip_is_fragment(iph))
			return false;
		proto = iph->protocol;
		thoff += iph->ihl * 4;
		break;
	}
	case htons(ETH_P_IPV6): {
		const struct ipv6hdr *ip6 = (const void *)(skb->data + ETH_HLEN);

		if (skb_headlen(skb) < ETH_HLEN + sizeof(*ip6) ||
		    ip6->version != 6)
			return false;
		proto = ip6->nexthdr;
		thoff += sizeof(*ip6);
		break;
	}
	default:
		return false;
	}
	/* the ports, in the linear data or not at all */
	if (!ztbe_proto_has_ports(proto) || skb_headlen(skb) < thoff + 4)
		return false;
	p = skb->data + thoff;
	*id = ztbe_xor_flow_id(get_unaligned_be16(p), get_unaligned_be16(p + 2),
			       proto);
	return true;
}

static u32 ztbond_xor_id(const struct sk_buff *skb)
{
	struct flow_keys keys;
	u32 id;

	if (likely(ztbond_xor_id_ip(skb, &id)))
		return id;
	if (skb_flow_dissect_flow_keys(skb, &keys, 0) &&
	    ztbe_proto_has_ports(keys.basic.ip_proto) &&
	    !(keys.control.flags & FLOW_DIS_IS_FRAGMENT))
		return ztbe_xor_flow_id(ntohs(keys.ports.src),
					ntohs(keys.ports.dst),
					keys.basic.ip_proto);
	return flow_hash_from_keys(&keys);
}

static bool ztbond_xmit_xor(struct ztbond *bond,
			    const struct ztbond_snap *snap,
			    struct sk_buff *skb)
{
	u32 id = ztbond_arp_hash(skb, NULL);

	if (likely(!id))
		id = ztbond_xor_id(skb);
	return ztbond_xmit_link(bond, snap, snap->tx[snap->bucket[ztbe_bucket(id)]],
				skb);
}

netdev_tx_t ztbond_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct ztbond *bond = netdev_priv(dev);
	const struct ztbond_snap *snap;
	unsigned int len = skb->len;

	if (unlikely(!pskb_may_pull(skb, ETH_HLEN))) {
		kfree_skb(skb);
		goto drop;
	}
	snap = rcu_dereference_bh(bond->snap);
	if (unlikely(snap->remotes) &&
	    ((struct ethhdr *)skb->data)->h_proto == htons(ETH_P_ARP))
		ztbond_remote_arp(bond, snap, skb);
	if (unlikely(snap->peers))
		snap = ztbond_peer_sel(snap, ((struct ethhdr *)skb->data)->h_dest);
	if (unlikely(!snap->xmit(bond, snap, skb)))
		goto drop;
	ztbond_stats_add_tx(bond->stats, len);
	return NETDEV_TX_OK;

drop:
	ztbond_stats_add_tx_drop(bond->stats);
	return NETDEV_TX_OK;
}

/* ---- build -------------------------------------------------------------- */

static void ztbond_build_none(struct ztbond *bond, struct ztbond_snap *snap,
			      const struct ztbe_link_view *views,
			      struct ztbond_link **links, int n)
{
	int i = ztbe_none_select(views, n);

	snap->active = i >= 0 ? links[i] : NULL;
	if (i >= 0)
		snap->tx[snap->ntx++] = links[i];
}

static void ztbond_build_ab(struct ztbond *bond, struct ztbond_snap *snap,
			    const struct ztbe_link_view *views,
			    struct ztbond_link **links, int n)
{
	int cur = -1, i;

	for (i = 0; i < n; i++) {
		if (links[i] == snap->active)
			cur = i;
		/* "bond rotate" chose this one: it stays until it fails */
		if (links[i] == snap->pinned && !views[i].usable)
			snap->pinned = NULL;
	}
	if (snap->pinned) {
		snap->active = snap->pinned;
		snap->tx[snap->ntx++] = snap->pinned;
		return;
	}
	i = ztbe_ab_select(views, n, cur, snap->link_select);
	snap->active = i >= 0 ? links[i] : NULL;
	if (i >= 0)
		snap->tx[snap->ntx++] = links[i];
}

static void ztbond_build_all(struct ztbond *bond, struct ztbond_snap *snap,
			     const struct ztbe_link_view *views,
			     struct ztbond_link **links, int n)
{
	u8 idx[ZTBE_MAX_LINKS];
	int k, i;

	k = ztbe_usable_set(views, n, idx);
	for (i = 0; i < k; i++)
		snap->tx[i] = links[idx[i]];
	snap->ntx = k;
	ztbe_fill_buckets(snap->bucket, ZTBE_BUCKETS, views, n);
	snap->active = NULL;
}

/*
 * Default quality weights per policy (ppm; lat, ltm, pdv, plr, per, avl),
 * used until weights are given. active-backup puts everything on one
 * link, so its queue ranks reaching the peer (loss, errors) above delay;
 * it leaves availability out because punishment already holds back a
 * link that failed, and counting the outage again would keep a healthy
 * returning primary from "better". balance-rr sends every flow over every
 * link, so jitter and delay differences (which reorder) weigh most. ltm
 * has no default maximum (it would score 1 for every link), so no default
 * weighs it. The others keep ZeroTier's quarters: balance-aware's
 * automatic allocation was tuned and measured with them (ztbond_aware.sh).
 */
#define ZTBOND_QW_ZT	{ 250000, 0, 250000, 250000, 250000, 0 }

static const struct ztbond_policy_ops ztbond_policies[] = {
	[ZTBOND_POLICY_NONE] = {
		.name = "none",
		.qweight = ZTBOND_QW_ZT,
		.build = ztbond_build_none,
		.xmit = ztbond_xmit_single,
	},
	[ZTBOND_POLICY_ACTIVE_BACKUP] = {
		.name = "active-backup",
		.qweight = { 300000, 0, 100000, 400000, 200000, 0 },
		.build = ztbond_build_ab,
		.xmit = ztbond_xmit_single,
	},
	[ZTBOND_POLICY_BROADCAST] = {
		.name = "broadcast",
		.qweight = ZTBOND_QW_ZT,
		.build = ztbond_build_all,
		.xmit = ztbond_xmit_broadcast,
	},
	[ZTBOND_POLICY_BALANCE_RR] = {
		.name = "balance-rr",
		.qweight = { 250000, 0, 400000, 250000, 100000, 0 },
		.build = ztbond_build_all,
		.xmit = ztbond_xmit_rr,
	},
	[ZTBOND_POLICY_BALANCE_XOR] = {
		.name = "balance-xor",
		.qweight = ZTBOND_QW_ZT,
		.build = ztbond_build_all,
		.xmit = ztbond_xmit_xor,
	},
};

const struct ztbond_policy_ops *ztbond_policy_ops(u8 policy)
{
	if (policy == ZTBOND_POLICY_BALANCE_AWARE)
		return &ztbond_aware_ops;
	if (policy >= ARRAY_SIZE(ztbond_policies) ||
	    !ztbond_policies[policy].build)
		return NULL;
	return &ztbond_policies[policy];
}

/* RTNL or a private cfg: the policy's weights while no weights were given */
void ztbond_cfg_default_weights(struct ztbond_cfg *cfg)
{
	const struct ztbond_policy_ops *ops = ztbond_policy_ops(cfg->policy);

	if (cfg->qw_default && ops)
		memcpy(cfg->qp.weight, ops->qweight, sizeof(cfg->qp.weight));
}

/*
 * The allocation each link gets, for readouts: balance-aware's shares;
 * equal shares for the other spreading policies (broadcast sends
 * everything everywhere: 1 each); all of it on the one active link.
 */
static void ztbond_set_shares(struct ztbond *bond, struct ztbond_snap *snap,
			      const struct ztbond_policy_ops *ops,
			      struct ztbond_link **links, int n)
{
	u32 i;
	int j;

	for (j = 0; j < n; j++)
		links[j]->share = 0;
	for (i = 0; i < snap->ntx; i++) {
		if (ops == &ztbond_aware_ops)
			snap->tx[i]->share = snap->share[i];
		else if (bond->cfg.policy == ZTBOND_POLICY_BROADCAST)
			snap->tx[i]->share = ZTBOND_PPM;
		else
			snap->tx[i]->share = ZTBOND_PPM / snap->ntx;
	}
}

/*
 * Does a link that carries traffic in snapshot a not carry it in b? With
 * a the old snapshot a link was lost, with b the old one a link came.
 */
static bool ztbond_snap_link_left(const struct ztbond_snap *a,
				  const struct ztbond_snap *b)
{
	u32 i, j;

	if (!a || !b)
		return false;
	for (i = 0; i < a->ntx; i++) {
		for (j = 0; j < b->ntx; j++)
			if (a->tx[i] == b->tx[j])
				break;
		if (j == b->ntx)
			return true;
	}
	return false;
}

/* Fill one selection (the bond's, or a peer's) from the link views. */
void ztbond_build_sel(struct ztbond *bond, const struct ztbond_policy_ops *ops,
		      struct ztbond_snap *sel, struct ztbond_build_ctx *ctx)
{
	ops->build(bond, sel, ctx->views, ctx->links, ctx->n);
	if (!sel->ntx)
		sel->xmit = ztbond_xmit_drop;
	else if (!sel->xmit)
		sel->xmit = ops->xmit;
}

/*
 * balance-rr with dataHeader and a ztbond peer that restores order: the
 * selections that send round robin number their frames for it.
 */
static void ztbond_use_ordered(struct ztbond *bond, struct ztbond_snap *snap)
{
	int i;

	if (!snap->remotes || !(ztbond_encap_caps(bond) & ZTBE_CAP_ORDER))
		return;
	if (snap->xmit == ztbond_xmit_rr)
		snap->xmit = ztbond_xmit_rr_ordered;
	for (i = 0; snap->peers && i < ZTBOND_MAX_PEER_POLICIES; i++)
		if (snap->peers->sel[i].xmit == ztbond_xmit_rr)
			snap->peers->sel[i].xmit = ztbond_xmit_rr_ordered;
}

static void ztbond_snap_free_rcu(struct rcu_head *head)
{
	struct ztbond_snap *snap = container_of(head, struct ztbond_snap, rcu);

	ztbond_peer_tab_free(snap->peers);
	kfree(snap->remotes);
	kfree(snap);
}

/*
 * The gratuitous ARP of __netdev_notify_peers() is a broadcast ARP request,
 * and ZeroTier delivers those only to the members that hold the target
 * address (the bond's own) and to bridges: no plain client hears it. A
 * client that learnt the MAC of a link that stopped carrying traffic kept
 * sending there (ZeroTier routes a MAC straight to its member, which may be
 * gone) until its ARP entry aged, tens of seconds. So each IPv4 neighbour
 * of the bond also gets a unicast ARP request for its own address, "who
 * has <client>, tell <bond address>", sent through the bond: the policy
 * picks the link it now uses for that client (balance-aware moves the
 * client off a link that left, as bonding's rlb updates its clients),
 * ztbond_set_source() puts that link's MAC in it, and the client, asked
 * for its own address, takes the sender's MAC at once (neigh_event_ns()
 * overrides) and answers. At most ZTBOND_NOTIFY_MAX neighbours per change.
 *
 * The requests go again once a second, ZTBOND_NOTIFY_REPEAT times, as
 * bonding's rlb retries its client updates: a link that just came may not
 * carry yet (a bridge port behind it turns forwarding one linkwatch run
 * later), and a client that missed the one request would keep the old MAC
 * until its ARP entry ages.
 */
#define ZTBOND_NOTIFY_MAX	1024
#define ZTBOND_NOTIFY_REPEAT	3

struct ztbond_nb {
	__be32 ip;
	u8 mac[ETH_ALEN];
};

struct ztbond_nb_walk {
	const struct net_device *dev;
	struct ztbond_nb *nb;
	u32 n;
};

static void ztbond_nb_collect(struct neighbour *n, void *cookie)
{
	struct ztbond_nb_walk *w = cookie;
	struct ztbond_nb *nb;

	if (n->dev != w->dev || w->n >= ZTBOND_NOTIFY_MAX ||
	    !(READ_ONCE(n->nud_state) & (NUD_REACHABLE | NUD_STALE | NUD_DELAY |
					 NUD_PROBE | NUD_PERMANENT)))
		return;
	nb = &w->nb[w->n];
	memcpy(&nb->ip, n->primary_key, sizeof(nb->ip));
	neigh_ha_snapshot((char *)nb->mac, n, n->dev);
	if (is_valid_ether_addr(nb->mac))
		w->n++;
}

static void ztbond_notify_clients(struct ztbond *bond)
{
	struct net_device *dev = bond->dev;
	struct ztbond_nb_walk w = { .dev = dev };
	__be32 src;
	u32 i;

	w.nb = kvmalloc_array(ZTBOND_NOTIFY_MAX, sizeof(*w.nb), GFP_KERNEL);
	if (!w.nb)
		return;
	neigh_for_each(&arp_tbl, ztbond_nb_collect, &w);
	for (i = 0; i < w.n; i++) {
		src = inet_select_addr(dev, w.nb[i].ip, RT_SCOPE_LINK);
		if (src)
			arp_send(ARPOP_REQUEST, ETH_P_ARP, w.nb[i].ip, dev, src,
				 w.nb[i].mac, dev->dev_addr, NULL);
	}
	kvfree(w.nb);
}

/* Monitor work, once a second: the last change's requests again. */
void ztbond_notify_again(struct ztbond *bond)
{
	if (atomic_dec_if_positive(&bond->notify_left) >= 0 &&
	    netif_running(bond->dev))
		ztbond_notify_clients(bond);
}

/*
 * Publish a new snapshot from the current links and configuration, update
 * carrier, and tell listeners if the active link changed. RTNL.
 *
 * When a link stops carrying traffic, peers that learnt its MAC for our
 * addresses would keep sending to it (and ZeroTier routes a MAC straight to
 * its member, which may be gone): announce the addresses again, as bonding
 * does on failover, so that the gratuitous ARP / unsolicited NA leave on a
 * link that works, with that link's MAC, and tell each IPv4 neighbour
 * itself (ztbond_notify_clients()). When a link comes, balance-aware
 * spreads its clients over it too, and tells them the same way.
 */
int ztbond_rebuild(struct ztbond *bond)
{
	const struct ztbond_policy_ops *ops = ztbond_policy_ops(bond->cfg.policy);
	struct ztbond_link *link, *old_active = bond->active;
	struct ztbond_snap *snap, *old;
	struct ztbond_build_ctx *ctx;
	int n = 0, i, j, err;
	bool announce, spread;

	ASSERT_RTNL();
	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	snap = kzalloc(sizeof(*snap), GFP_KERNEL);
	if (!ctx || !snap) {
		kfree(ctx);
		kfree(snap);
		netdev_err(bond->dev, "out of memory: link set not updated\n");
		return -ENOMEM;
	}

	list_for_each_entry(link, &bond->links, list) {
		if (n == ZTBOND_MAX_LINKS)
			break;
		ctx->links[n] = link;
		ctx->views[n].usable = ztbond_link_usable(link);
		ctx->views[n].enabled = link->cfg.enabled;
		ctx->views[n].primary = link->cfg.mode == ZTBOND_LINK_MODE_PRIMARY;
		ctx->views[n].failover_to = -1;
		ctx->views[n].quality = READ_ONCE(link->quality);
		WRITE_ONCE(link->quality_built, ctx->views[n].quality);
		ztbond_snap_add_mac(snap, link->dev->dev_addr);
		n++;
	}
	/*
	 * Punishment keeps a healthy link out while others can carry the
	 * traffic; when none can, a punished link is better than no link.
	 */
	for (i = 0; i < n && !ctx->views[i].usable; i++)
		;
	if (i == n)
		for (i = 0; i < n; i++)
			ctx->views[i].usable =
				ctx->links[i]->state == ZTBOND_LINK_STATE_PUNISHED;
	for (i = 0; i < n; i++) {
		const char *to = ctx->links[i]->cfg.failover_to;

		for (j = 0; to[0] && j < n; j++)
			if (!strcmp(ctx->links[j]->dev->name, to))
				ctx->views[i].failover_to = j;
	}
	ctx->n = n;

	snap->link_select = bond->cfg.link_select;
	snap->balance = bond->cfg.balance;
	snap->active = bond->active;
	snap->pinned = bond->pinned;
	ztbond_build_sel(bond, ops, snap, ctx);
	err = ztbond_peers_build(bond, snap, ctx);
	if (err) {
		/* the old snapshot stays, and with it the old choices */
		kfree(ctx);
		kfree(snap);
		netdev_err(bond->dev, "out of memory: link set not updated\n");
		return err;
	}
	if (ztbond_remote_build(bond, snap, ctx))
		netdev_warn(bond->dev, "out of memory: remote ztbonds addressed as they ask until the next change\n");
	snap->dedup = bond->cfg.dedup;
	snap->bond_id = bond->id;
	snap->auth = bond->cfg.auth;
	snap->auth_key = bond->cfg.auth_key;
	/*
	 * A peer's broadcast or ordered round robin selection sends DATA
	 * frames as the bond's does: in the bond's name, with its key.
	 */
	for (i = 0; snap->peers && i < ZTBOND_MAX_PEER_POLICIES; i++) {
		struct ztbond_snap *sel = &snap->peers->sel[i];

		sel->remotes = snap->remotes;
		sel->dedup = snap->dedup;
		sel->bond_id = snap->bond_id;
		sel->auth = snap->auth;
		sel->auth_key = snap->auth_key;
	}
	ztbond_use_ordered(bond, snap);
	bond->active = snap->active;
	bond->pinned = snap->pinned;
	ztbond_set_shares(bond, snap, ops, ctx->links, n);
	snap->packets_per_link = bond->cfg.packets_per_link;
	kfree(ctx);

	old = rtnl_dereference(bond->snap);
	rcu_assign_pointer(bond->snap, snap);
	announce = snap->ntx && ztbond_snap_link_left(old, snap);
	/* a link came: clients spread over it too (balance-aware) */
	spread = ztbond_snap_link_left(snap, old) &&
		 ztbond_aware_spread_clients(bond, snap);
	if (old)
		call_rcu(&old->rcu, ztbond_snap_free_rcu);

	ztbond_encap_apply(bond);

	if (snap->ntx && netif_running(bond->dev))
		netif_carrier_on(bond->dev);
	else
		netif_carrier_off(bond->dev);
	if ((announce || spread) && netif_running(bond->dev) &&
	    bond->dev->reg_state == NETREG_REGISTERED) {
		if (announce)
			__netdev_notify_peers(bond->dev);
		ztbond_notify_clients(bond);
		atomic_set(&bond->notify_left, ZTBOND_NOTIFY_REPEAT);
	}

	if (bond->active != old_active && bond->dev->reg_state == NETREG_REGISTERED) {
		if (bond->active)
			netdev_info(bond->dev, "active link is now %s\n",
				    bond->active->dev->name);
		ztbond_nl_notify(bond, ZTBOND_EVENT_ACTIVE_CHANGE, bond->active);
	}
	return 0;
}

/*
 * active-backup: move to the next usable link after the active one, in
 * enslave order, and keep it until it fails (ZeroTier's "bond rotate").
 * RTNL.
 */
int ztbond_rotate(struct ztbond *bond)
{
	struct ztbond_link *link, *next = NULL;
	bool after = !bond->active;

	list_for_each_entry(link, &bond->links, list) {
		if (link == bond->active) {
			after = true;
			continue;
		}
		if (!ztbond_link_usable(link))
			continue;
		if (after) {
			next = link;
			break;
		}
		if (!next)
			next = link;	/* wrap around */
	}
	if (!next)
		return -ENOENT;
	bond->pinned = next;
	return ztbond_rebuild(bond);
}

void ztbond_snap_free(struct ztbond *bond)
{
	struct ztbond_snap *old = rtnl_dereference(bond->snap);

	RCU_INIT_POINTER(bond->snap, NULL);
	if (old)
		call_rcu(&old->rcu, ztbond_snap_free_rcu);
}
