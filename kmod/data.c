// SPDX-License-Identifier: GPL-2.0
/*
 * ztbond: DATA frames, the first use of the data encapsulation: broadcast
 * dedup between two ztbonds (Documentation/ztbond-protocol.rst).
 *
 * broadcast sends every frame on every link, so a ztbond peer receives
 * each frame once per link. With dedup on, a frame for a link MAC of a
 * ztbond peer that announced ZTBE_CAP_DATA in HELLO leaves in a DATA frame
 * per link: the control protocol's IPv6/UDP framing to the peer link that
 * link reaches (so every copy is deliverable on ZeroTier without
 * bridging), the 44-byte header, a bond sequence number (one per original
 * frame, the same in every copy), then the frame as that link would have
 * sent it. The receiver delivers the first copy of each sequence number
 * and drops the others.
 *
 * Transmit reads the snapshot's table of remote ztbonds (remote.c) and
 * takes no lock; receive takes one short per-bond lock around the window
 * of the sending bond.
 */
#include <linux/netdevice.h>
#include <linux/etherdevice.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include <net/ip6_checksum.h>

#include "ztbond_priv.h"
#include "compat.h"
#include "proto.h"

/* Outer IPv6 + UDP + header + bond sequence + tag, before the frame. */
#define ZTBOND_DATA_PUSH	(sizeof(struct ipv6hdr) + sizeof(struct udphdr) + \
				 ZTBE_WIRE_HDR_LEN + ZTBE_WIRE_DATA_LEN + \
				 ZTBE_WIRE_TAG_LEN)

static_assert(ZTBOND_DATA_PUSH + ETH_HLEN == ZTBOND_DATA_OVERHEAD);

/* What a selection of this policy needs of a peer to send DATA frames. */
static u32 ztbond_policy_caps(const struct ztbond *bond, u32 policy)
{
	switch (policy) {
	case ZTBOND_POLICY_BROADCAST:
		return READ_ONCE(bond->cfg.dedup) ? ZTBE_CAP_DATA : 0;
	case ZTBOND_POLICY_BALANCE_RR:
		return READ_ONCE(bond->cfg.data_header) ?
		       ZTBE_CAP_DATA | ZTBE_CAP_ORDER : 0;
	}
	return 0;
}

/*
 * The bond's own policy and those of its peers (peerSpecificBonds): a
 * remote ztbond given broadcast as its own policy gets DATA frames it can
 * drop the copies of, whatever the bond's policy. Keys read once each.
 */
u32 ztbond_encap_caps(const struct ztbond *bond)
{
	u32 peers = READ_ONCE(bond->peer_policies);
	u32 caps = ztbond_policy_caps(bond, READ_ONCE(bond->cfg.policy));

	if (peers & BIT(ZTBOND_POLICY_BROADCAST))
		caps |= ztbond_policy_caps(bond, ZTBOND_POLICY_BROADCAST);
	if (peers & BIT(ZTBOND_POLICY_BALANCE_RR))
		caps |= ztbond_policy_caps(bond, ZTBOND_POLICY_BALANCE_RR);
	return caps;
}

/*
 * Whether the bond sends DATA frames (to the ztbond peers with the
 * capabilities ztbond_encap_caps() names): broadcast with dedup, and
 * balance-rr with dataHeader.
 */
bool ztbond_encap_wanted(const struct ztbond *bond)
{
	return ztbond_encap_caps(bond) != 0;
}

/*
 * RTNL, after a rebuild: while DATA frames are in use the bond's MTU
 * leaves room for the encapsulation, the bond asks for the headroom, and
 * it gives up GSO so that every frame it is handed fits a DATA frame (the
 * stack segments before ndo_start_xmit).
 */
void ztbond_encap_apply(struct ztbond *bond)
{
	bool on = ztbond_encap_wanted(bond);

	if (on == bond->encap_on)
		return;
	bond->encap_on = on;
	if (on)
		bond->dev->needed_headroom += ZTBOND_DATA_OVERHEAD;
	else
		bond->dev->needed_headroom -= ZTBOND_DATA_OVERHEAD;
	if (bond->dev->reg_state != NETREG_REGISTERED)
		return;
	ztbond_update_mtu(bond);
	netdev_update_features(bond->dev);
}

/* ---- transmit ------------------------------------------------------------ */

/*
 * Once per original frame, before it is cloned: the frame's own checksum
 * is finished here (the outer UDP checksum is the one left to the link).
 * False: send it as it is.
 */
bool ztbond_encap_prepare(struct sk_buff *skb)
{
	if (unlikely(skb_is_gso(skb)))	/* not with our features; be safe */
		return false;
	return skb->ip_summed != CHECKSUM_PARTIAL || !skb_checksum_help(skb);
}

/*
 * Every 1 << ZTBOND_ECHO_SHIFT frames of a path: note when it left, for the
 * ECHO the peer will send (ztbond_path_echo() reads it under the path
 * lock; no lock here). seq is cleared before the time is written and set
 * after it, so the reader can tell a slot being rewritten.
 */
static void ztbond_echo_stamp(struct ztbond_path_tx *ptx, u64 seq)
{
	struct ztbond_echo_slot *s;

	s = &ptx->echo[(seq >> ZTBOND_ECHO_SHIFT) & (ZTBOND_ECHO_SLOTS - 1)];
	WRITE_ONCE(s->seq, 0);
	smp_wmb();	/* the slot is invalid before its time changes */
	WRITE_ONCE(s->sent_ns, ktime_get_ns());
	smp_wmb();	/* ... and valid only after; ztbond_path_echo() */
	WRITE_ONCE(s->seq, seq);
}

/*
 * One copy on one link: a DATA frame to the peer link that link reaches,
 * or the frame as it is when the link has no path to the peer (or the
 * frame is too large for the link, after an MTU change in flight).
 * Consumes skb.
 */
bool ztbond_encap_xmit(struct ztbond *bond, const struct ztbond_snap *snap,
		       struct ztbond_link *link, struct sk_buff *skb,
		       const struct ztbond_remote *ep, u64 seq, u16 flags)
{
	struct net_device *dev = link->dev;
	unsigned int len = skb->len, ulen;
	struct ztbond_path_tx *ptx;
	struct ztbond_wire_hdr *hdr;
	struct ipv6hdr *ip6;
	struct udphdr *uh;
	u8 *tag = NULL;
	u64 pseq;

	if (!(ep->links & (1ULL << link->id)) ||
	    len - ETH_HLEN + ZTBOND_DATA_OVERHEAD > dev->mtu)
		return ztbond_xmit_link(bond, snap, link, skb);

	/* a clone's header is shared: this copies it, once */
	if (unlikely(skb_cow_head(skb, LL_RESERVED_SPACE(dev) + ZTBOND_DATA_PUSH)))
		goto free;
	if (unlikely(ztbond_set_source(bond, link, skb)))
		goto free;

	/*
	 * A sequence per path (this link, the peer link): the peer counts
	 * the gaps in it as loss. Separate from the control sequence, whose
	 * replay window must not see data traffic's gaps between control
	 * frames, and per path, so that frames to other peers are no gaps.
	 */
	ptx = &link->ptx[ep->path[link->id]];
	pseq = atomic64_inc_return(&ptx->seq);
	if ((ep->echo & BIT_ULL(link->id)) &&
	    !(pseq & ((1 << ZTBOND_ECHO_SHIFT) - 1))) {
		ztbond_echo_stamp(ptx, pseq);
		flags |= ZTBE_WF_ECHO;
	}

	if (snap->auth)
		tag = skb_push(skb, ZTBE_WIRE_TAG_LEN);
	hdr = skb_push(skb, sizeof(*hdr) + ZTBE_WIRE_DATA_LEN);
	hdr->magic = htonl(ZTBE_WIRE_MAGIC);
	hdr->version = ZTBE_WIRE_VERSION;
	hdr->type = ZTBE_WIRE_DATA;
	hdr->len = htons(sizeof(*hdr) + ZTBE_WIRE_DATA_LEN);
	hdr->bond_id = cpu_to_be64(snap->bond_id);
	hdr->seq = cpu_to_be64(pseq);
	ether_addr_copy(hdr->link_mac, dev->dev_addr);
	ether_addr_copy(hdr->bond_mac, bond->dev->dev_addr);
	hdr->link_ifindex = htonl(dev->ifindex);
	hdr->flags = htons(flags | (snap->auth ? ZTBE_WF_AUTH : 0));
	hdr->reserved = 0;
	put_unaligned_be64(seq, hdr + 1);
	if (tag)
		put_unaligned_be64(ztbond_tag(hdr, sizeof(*hdr) + ZTBE_WIRE_DATA_LEN,
					      &snap->auth_key), tag);

	ulen = skb->len + sizeof(*uh);
	uh = skb_push(skb, sizeof(*uh));
	skb_reset_transport_header(skb);
	uh->source = htons(ZTBOND_PROTO_PORT);
	uh->dest = htons(ZTBOND_PROTO_PORT);
	uh->len = htons(ulen);

	ip6 = skb_push(skb, sizeof(*ip6));
	skb_reset_network_header(skb);
	ip6_flow_hdr(ip6, 0, 0);
	ip6->payload_len = htons(ulen);
	ip6->nexthdr = IPPROTO_UDP;
	ip6->hop_limit = 255;	/* receivers check it: never routed */
	ztbond_ll_addr(&ip6->saddr, dev->dev_addr);
	ztbond_ll_addr(&ip6->daddr, ep->mac[link->id]);

	/* the link (or its validate_xmit_skb()) finishes the UDP checksum */
	uh->check = ~csum_ipv6_magic(&ip6->saddr, &ip6->daddr, ulen,
				     IPPROTO_UDP, 0);
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = skb_transport_header(skb) - skb->head;
	skb->csum_offset = offsetof(struct udphdr, check);

	skb->protocol = htons(ETH_P_IPV6);
	skb->dev = dev;
	if (unlikely(dev_hard_header(skb, dev, ETH_P_IPV6, ep->mac[link->id],
				     dev->dev_addr, skb->len) < 0))
		goto free;
	if (unlikely(dev_queue_xmit(skb) != NET_XMIT_SUCCESS))
		goto drop;
	ztbond_stats_add_tx(link->stats, len);
	return true;

free:
	kfree_skb(skb);
drop:
	ztbond_stats_add_tx_drop(link->stats);
	return false;
}

/* ---- receive -------------------------------------------------------------- */

/* After ztbond_proto_match(): is it a DATA frame rather than control? */
bool ztbond_data_match(struct sk_buff *skb)
{
	const unsigned int off = sizeof(struct ipv6hdr) + sizeof(struct udphdr);

	return pskb_may_pull(skb, off + 6) &&
	       skb->data[off + 5] == ZTBE_WIRE_DATA;
}

/*
 * Softirq: true the first time the sending bond's sequence number is seen.
 * A bond id not in the table takes a free entry, else the one heard from
 * least recently (its window starts over: at worst a copy gets through).
 */
static bool ztbond_dedup_first(struct ztbond *bond, u64 id, u64 seq)
{
	struct ztbond_dedup_peer *d = NULL, *victim = NULL;
	unsigned long now = jiffies | 1;	/* 0 means free */
	bool first;
	int i;

	spin_lock(&bond->dedup_lock);
	for (i = 0; i < ZTBOND_DEDUP_PEERS; i++) {
		struct ztbond_dedup_peer *e = &bond->dedup[i];

		if (e->used && e->id == id) {
			d = e;
			break;
		}
		if (!victim || (victim->used &&
				(!e->used || time_before(e->used, victim->used))))
			victim = e;
	}
	if (!d) {
		d = victim;
		memset(&d->win, 0, sizeof(d->win));
		d->id = id;
	}
	d->used = now;
	first = ztbe_dedup_first(&d->win, seq);
	if (!first)
		bond->dedup_dropped++;
	spin_unlock(&bond->dedup_lock);
	return first;
}

u64 ztbond_dedup_dropped(struct ztbond *bond)
{
	u64 n;

	spin_lock_bh(&bond->dedup_lock);
	n = bond->dedup_dropped;
	spin_unlock_bh(&bond->dedup_lock);
	/* ordered frames are deduplicated by the reorder window instead */
	spin_lock_bh(&bond->reorder_lock);
	n += bond->reorder_dup;
	spin_unlock_bh(&bond->reorder_lock);
	return n;
}

/*
 * Per DATA frame: the path's loss tracker and the time it was last heard;
 * true if the frame asks for an ECHO. This takes link->plock per frame,
 * because the path table belongs to it (paths are found, made and reused
 * under it by the control receive path and the monitor) and because
 * frames of one link can be received on two CPUs at once (veth's
 * netif_rx backlog, RPS), so the tracker needs serialising anyway. The
 * lock is per link and held for a lookup among ZTBOND_MAX_PATHS and a
 * few ALU operations (no division, no allocation); the monitor only folds
 * the counters. The dedup and reorder windows take a per-bond lock per
 * frame already.
 */
static bool ztbond_data_measure(struct ztbond_link *link,
				const struct ztbe_wire *w)
{
	struct ztbond_path *p;
	bool echo = false;

	spin_lock(&link->plock);
	p = ztbond_path_find(link, w->link_mac);
	if (p && p->peer_id == w->bond_id) {
		ztbe_seq_rx(&p->rxseq, w->seq);
		/* a tick's resolution is plenty against failoverInterval */
		p->last_data_ns = ktime_get_coarse_ns();
		echo = w->flags & ZTBE_WF_ECHO;
	}
	spin_unlock(&link->plock);
	return echo;
}

enum ztbond_data_verdict {
	ZTBOND_DATA_OK,
	ZTBOND_DATA_BAD,
	ZTBOND_DATA_AUTH,
};

/*
 * The checks of a control frame (hop limit, lengths, UDP checksum, magic,
 * version, type, the sender's link MAC as Ethernet source, addressed to
 * this link, the tag when the bond has a key). Leaves the IPv6, UDP and
 * ztbond headers and the carried Ethernet header linear.
 */
static enum ztbond_data_verdict
ztbond_data_check(struct ztbond_link *link, const struct ztbond_snap *snap,
		  struct sk_buff *skb, struct ztbe_wire *w)
{
	const unsigned int hlen = sizeof(struct ipv6hdr) + sizeof(struct udphdr);
	const struct ipv6hdr *ip6;
	const struct ethhdr *eth;
	const struct udphdr *uh;
	unsigned int ulen, need;

	ip6 = (const struct ipv6hdr *)skb->data;
	uh = (const struct udphdr *)(ip6 + 1);
	ulen = ntohs(uh->len);
	if (ip6->hop_limit != 255 || ntohs(ip6->payload_len) != ulen ||
	    ulen < sizeof(*uh) + ZTBE_WIRE_HDR_LEN + ZTBE_WIRE_DATA_LEN +
		   ETH_HLEN ||
	    skb->len < sizeof(*ip6) + ulen)
		return ZTBOND_DATA_BAD;
	if (pskb_trim_rcsum(skb, sizeof(*ip6) + ulen))
		return ZTBOND_DATA_BAD;
	/* CHECKSUM_PARTIAL: from this host (veth), never on a wire */
	if (!skb_csum_unnecessary(skb)) {
		__wsum csum = skb_checksum(skb, sizeof(*ip6), ulen, 0);

		ip6 = (const struct ipv6hdr *)skb->data;
		if (csum_ipv6_magic(&ip6->saddr, &ip6->daddr, ulen,
				    IPPROTO_UDP, csum))
			return ZTBOND_DATA_BAD;
	}
	/* outer headers, header, sequence, tag and carried Ethernet header */
	need = min_t(unsigned int, ZTBOND_DATA_OVERHEAD, sizeof(*ip6) + ulen);
	if (!pskb_may_pull(skb, need))
		return ZTBOND_DATA_BAD;
	uh = (const struct udphdr *)(skb->data + sizeof(*ip6));
	if (ztbe_wire_parse((const u8 *)(uh + 1), ulen - sizeof(*uh), w) ||
	    w->type != ZTBE_WIRE_DATA)
		return ZTBOND_DATA_BAD;
	eth = eth_hdr(skb);
	if (!ether_addr_equal(w->link_mac, eth->h_source) ||
	    !ether_addr_equal(eth->h_dest, link->dev->dev_addr))
		return ZTBOND_DATA_BAD;
	if (snap->auth &&
	    (!(w->flags & ZTBE_WF_AUTH) ||
	     w->tag != ztbond_tag(uh + 1, w->len, &snap->auth_key)))
		return ZTBOND_DATA_AUTH;
	/* the parser saw room for it; make sure it is linear */
	if (!pskb_may_pull(skb, hlen + w->inner_off + ETH_HLEN))
		return ZTBOND_DATA_BAD;
	return ZTBOND_DATA_OK;
}

/*
 * A DATA frame arrived on link (skb->data at the IPv6 header). Drops it if
 * it is bad or a copy already delivered; else strips the outer headers and
 * hands the carried frame to the bond, as the receive handler does with a
 * plain one.
 */
rx_handler_result_t ztbond_data_rx(struct ztbond_link *link,
				   const struct ztbond_snap *snap,
				   struct sk_buff **pskb)
{
	struct sk_buff *skb = *pskb;
	struct ztbond *bond = link->bond;
	enum ztbond_data_verdict v;
	struct ztbe_wire w;

	v = ztbond_data_check(link, snap, skb, &w);
	if (unlikely(v != ZTBOND_DATA_OK)) {
		spin_lock(&link->plock);
		if (v == ZTBOND_DATA_AUTH)
			link->ctl_auth_fail++;
		else
			link->ctl_bad++;
		spin_unlock(&link->plock);
		kfree_skb(skb);
		return RX_HANDLER_CONSUMED;
	}
	if (ztbond_data_measure(link, &w))
		ztbond_proto_send_echo(link, snap, w.link_mac, w.seq);
	/* ordered frames are numbered per receiver: no dedup window for them */
	if (snap->dedup && !(w.flags & ZTBE_WF_ORDERED) &&
	    !ztbond_dedup_first(bond, w.bond_id, w.bond_seq)) {
		consume_skb(skb);
		return RX_HANDLER_CONSUMED;
	}

	__skb_pull(skb, sizeof(struct ipv6hdr) + sizeof(struct udphdr) +
		   w.inner_off);
	/* the outer checksum state says nothing of the carried frame */
	skb->ip_summed = CHECKSUM_NONE;
	skb->protocol = eth_type_trans(skb, bond->dev);
	skb_reset_network_header(skb);
	skb_reset_transport_header(skb);
	skb_reset_mac_len(skb);
	/* it may name another of our links than the one it came in on */
	if (skb->pkt_type == PACKET_OTHERHOST &&
	    ztbond_snap_has_mac(snap, eth_hdr(skb)->h_dest))
		skb->pkt_type = PACKET_HOST;

	ztbond_stats_add_rx(link->stats, skb->len + ETH_HLEN);
	ztbond_stats_add_rx(bond->stats, skb->len + ETH_HLEN);
	if (w.flags & ZTBE_WF_ORDERED) {
		skb = ztbond_reorder_rx(bond, w.bond_id, w.bond_seq,
					w.link_ifindex, skb);
		if (!skb)
			return RX_HANDLER_CONSUMED;
	}
	*pskb = skb;
	return RX_HANDLER_ANOTHER;
}
