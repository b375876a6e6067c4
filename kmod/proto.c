// SPDX-License-Identifier: GPL-2.0
/*
 * ztbond: the control protocol between ztbond peers. HELLO (discovery, to
 * a link-local multicast group every link joins), PROBE and PROBE_REPLY
 * (round trips for the quality engine), ECHO (the answer to a DATA frame
 * that asks for one: round trips measured on traffic), optionally
 * authenticated with a per-bond SipHash key.
 *
 * The frames are built here, with the link's own MAC as source (ZeroTier
 * forwards nothing else from a non-bridge member) and addresses derived
 * from the link MACs, so the links need no IP configuration. Received
 * control frames are consumed by the link's receive handler and never
 * reach the stack. Only control frames come here: the data path is not
 * touched beyond the cheap test in ztbond_proto_match() (DATA frames,
 * which share the port, go to data.c).
 */
#include <linux/netdevice.h>
#include <linux/etherdevice.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <linux/pkt_sched.h>
#include <net/ip6_checksum.h>

#include "ztbond_priv.h"
#include "compat.h"
#include "proto.h"

/* ff02::7a74:626e ("ztbn") and its Ethernet group address */
static const struct in6_addr ztbond_group = {
	.s6_addr = { 0xff, 0x02, 0, 0, 0, 0, 0, 0,
		     0, 0, 0, 0, 0x7a, 0x74, 0x62, 0x6e },
};
static const u8 ztbond_group_mac[ETH_ALEN] = {
	0x33, 0x33, 0x7a, 0x74, 0x62, 0x6e
};

/* fe80::/64 with the modified EUI-64 of a MAC (RFC 4291, appendix A). */
void ztbond_ll_addr(struct in6_addr *a, const u8 *mac)
{
	memset(a, 0, sizeof(*a));
	a->s6_addr[0] = 0xfe;
	a->s6_addr[1] = 0x80;
	a->s6_addr[8] = mac[0] ^ 0x02;
	a->s6_addr[9] = mac[1];
	a->s6_addr[10] = mac[2];
	a->s6_addr[11] = 0xff;
	a->s6_addr[12] = 0xfe;
	a->s6_addr[13] = mac[3];
	a->s6_addr[14] = mac[4];
	a->s6_addr[15] = mac[5];
}

/*
 * Joining the group is what makes a ZeroTier member subscribe to it:
 * zerotier-one mirrors the tap's kernel multicast list.
 */
void ztbond_proto_join(struct ztbond_link *link)
{
	if (dev_mc_add(link->dev, ztbond_group_mac))
		netdev_warn(link->bond->dev,
			    "%s: cannot join the HELLO group; peers will not find this link\n",
			    link->dev->name);
}

void ztbond_proto_leave(struct ztbond_link *link)
{
	dev_mc_del(link->dev, ztbond_group_mac);
}

u64 ztbond_tag(const void *data, size_t len, const siphash_key_t *key)
{
	return siphash(data, len, key);
}

/*
 * Build and send one control frame on link. Called from the monitor work
 * and, for replies, from the receive handler (softirq): GFP_ATOMIC, and
 * never with link->plock held.
 */
static int ztbond_proto_send(struct ztbond_link *link,
			     const struct ztbond_snap *snap, u8 type,
			     const u8 *dst_mac, const void *body, size_t blen)
{
	struct net_device *dev = link->dev;
	struct ztbond_wire_hdr *hdr;
	struct in6_addr saddr, daddr;
	size_t len = sizeof(*hdr) + blen;
	size_t plen = len + (snap->auth ? ZTBE_WIRE_TAG_LEN : 0);
	size_t ulen = sizeof(struct udphdr) + plen;
	struct sk_buff *skb;
	struct ipv6hdr *ip6;
	struct udphdr *uh;
	int hlen = LL_RESERVED_SPACE(dev);

	skb = alloc_skb(hlen + sizeof(*ip6) + ulen + dev->needed_tailroom,
			GFP_ATOMIC);
	if (!skb)
		return -ENOMEM;
	skb_reserve(skb, hlen + sizeof(*ip6) + sizeof(*uh));

	hdr = skb_put_zero(skb, len);
	hdr->magic = htonl(ZTBE_WIRE_MAGIC);
	hdr->version = ZTBE_WIRE_VERSION;
	hdr->type = type;
	hdr->len = htons(len);
	hdr->bond_id = cpu_to_be64(snap->bond_id);
	hdr->seq = cpu_to_be64(atomic64_inc_return(&link->seq));
	ether_addr_copy(hdr->link_mac, dev->dev_addr);
	ether_addr_copy(hdr->bond_mac, link->bond->dev->dev_addr);
	hdr->link_ifindex = htonl(dev->ifindex);
	if (snap->auth)
		hdr->flags = htons(ZTBE_WF_AUTH);
	memcpy(hdr + 1, body, blen);
	if (snap->auth)
		put_unaligned_be64(ztbond_tag(hdr, len, &snap->auth_key),
				   skb_put(skb, ZTBE_WIRE_TAG_LEN));

	ztbond_ll_addr(&saddr, dev->dev_addr);
	if (is_multicast_ether_addr(dst_mac))
		daddr = ztbond_group;
	else
		ztbond_ll_addr(&daddr, dst_mac);

	uh = skb_push(skb, sizeof(*uh));
	skb_reset_transport_header(skb);
	uh->source = htons(ZTBOND_PROTO_PORT);
	uh->dest = htons(ZTBOND_PROTO_PORT);
	uh->len = htons(ulen);
	uh->check = 0;
	uh->check = csum_ipv6_magic(&saddr, &daddr, ulen, IPPROTO_UDP,
				    csum_partial(uh, ulen, 0));
	if (!uh->check)
		uh->check = CSUM_MANGLED_0;

	ip6 = skb_push(skb, sizeof(*ip6));
	skb_reset_network_header(skb);
	ip6_flow_hdr(ip6, 0, 0);
	ip6->payload_len = htons(ulen);
	ip6->nexthdr = IPPROTO_UDP;
	ip6->hop_limit = 255;	/* receivers check it: never routed */
	ip6->saddr = saddr;
	ip6->daddr = daddr;

	skb->protocol = htons(ETH_P_IPV6);
	skb->dev = dev;
	skb->priority = TC_PRIO_CONTROL;
	skb->ip_summed = CHECKSUM_NONE;
	if (dev_hard_header(skb, dev, ETH_P_IPV6, dst_mac, dev->dev_addr,
			    skb->len) < 0) {
		kfree_skb(skb);
		return -EINVAL;
	}
	atomic64_inc(&link->ctl_tx);
	return dev_queue_xmit(skb);
}

/* Monitor work: under rcu_read_lock(), link from bond->links. */
int ztbond_proto_send_hello(struct ztbond_link *link)
{
	const struct ztbond_snap *snap = rcu_dereference(link->bond->snap);
	struct ztbond_wire_hello hello = {
		/* data.c takes DATA frames whatever this bond's settings */
		.caps = htonl(ZTBE_CAP_DATA | ZTBE_CAP_ORDER | ZTBE_CAP_ECHO),
		.failover_interval = htonl(ztbond_link_fi(link)),
	};

	if (!snap)
		return -ENODEV;
	return ztbond_proto_send(link, snap, ZTBE_WIRE_HELLO,
				 ztbond_group_mac, &hello, sizeof(hello));
}

int ztbond_proto_send_probe(struct ztbond_link *link, const u8 *peer_mac,
			    u32 seq, u64 sent_ns)
{
	const struct ztbond_snap *snap = rcu_dereference(link->bond->snap);
	struct ztbond_wire_probe probe = {
		.probe_seq = htonl(seq),
		.timestamp = cpu_to_be64(sent_ns),
	};

	if (!snap)
		return -ENODEV;
	atomic64_inc(&link->probe_tx);
	return ztbond_proto_send(link, snap, ZTBE_WIRE_PROBE,
				 peer_mac, &probe, sizeof(probe));
}

/*
 * Softirq, from data.c: answer a DATA frame that asked for an ECHO, at
 * once, so that the round trip holds no scheduling delay of ours.
 */
int ztbond_proto_send_echo(struct ztbond_link *link,
			   const struct ztbond_snap *snap, const u8 *peer_mac,
			   u64 data_seq)
{
	struct ztbond_wire_echo echo = {
		.data_seq = cpu_to_be64(data_seq),
	};

	return ztbond_proto_send(link, snap, ZTBE_WIRE_ECHO, peer_mac,
				 &echo, sizeof(echo));
}

/*
 * Receive handler, per frame: is this a ztbond control frame? Only IPv6
 * frames pay for the test; everything else is one comparison.
 */
bool ztbond_proto_match(struct sk_buff *skb)
{
	const struct ipv6hdr *ip6;
	const struct udphdr *uh;

	if (skb->protocol != htons(ETH_P_IPV6))
		return false;
	if (!pskb_may_pull(skb, sizeof(*ip6) + sizeof(*uh)))
		return false;
	ip6 = (const struct ipv6hdr *)skb->data;
	uh = (const struct udphdr *)(ip6 + 1);
	return ip6->nexthdr == IPPROTO_UDP &&
	       uh->dest == htons(ZTBOND_PROTO_PORT) &&
	       ip6->saddr.s6_addr32[0] == htonl(0xfe800000) &&
	       !ip6->saddr.s6_addr32[1];
}

/* Under plock: the path of a remote link MAC, or NULL. */
struct ztbond_path *ztbond_path_find(struct ztbond_link *link, const u8 *mac)
{
	int i;

	for (i = 0; i < ZTBOND_MAX_PATHS; i++)
		if (link->paths[i].used &&
		    ether_addr_equal(link->paths[i].peer_mac, mac))
			return &link->paths[i];
	return NULL;
}

/*
 * Under plock: a slot for a newly heard remote link. A free slot, else the
 * path heard from least recently among those that are not alive; a table
 * full of live paths refuses newcomers (bounded, no allocation).
 */
static struct ztbond_path *ztbond_path_new(struct ztbond_link *link,
					   const struct ztbe_wire *w, u64 now)
{
	struct ztbond_path *p, *victim = NULL;
	int i;

	for (i = 0; i < ZTBOND_MAX_PATHS; i++) {
		p = &link->paths[i];
		if (!p->used) {
			victim = p;
			break;
		}
		if (!p->alive && (!victim ||
				  p->last_hello_ns < victim->last_hello_ns))
			victim = p;
	}
	if (!victim)
		return NULL;
	memset(victim, 0, sizeof(*victim));
	victim->used = true;
	ether_addr_copy(victim->peer_mac, w->link_mac);
	victim->peer_id = w->bond_id;
	victim->born_ns = now;
	victim->alive = true;	/* until it proves otherwise */
	/* a peer named by one MAC of this remote bond may now map more */
	WRITE_ONCE(link->bond->paths_changed, true);
	return victim;
}

enum ztbond_rx_verdict {
	ZTBOND_RX_OK,
	ZTBOND_RX_BAD,		/* malformed, unknown version, table full */
	ZTBOND_RX_AUTH,		/* failed authentication */
	ZTBOND_RX_REPLAY,	/* replayed, stale or unexpected */
};

/*
 * Check lengths and checksum, parse (engine/wire.c), check addresses and
 * the tag. Linearises the frame.
 */
static enum ztbond_rx_verdict
ztbond_proto_check(struct ztbond_link *link, const struct ztbond_snap *snap,
		   struct sk_buff *skb, struct ztbe_wire *w)
{
	const struct ethhdr *eth = eth_hdr(skb);
	const struct ipv6hdr *ip6;
	const struct udphdr *uh;
	size_t ulen;

	ip6 = (const struct ipv6hdr *)skb->data;
	uh = (const struct udphdr *)(ip6 + 1);
	ulen = ntohs(uh->len);
	if (ip6->hop_limit != 255 || ntohs(ip6->payload_len) != ulen ||
	    ulen < sizeof(*uh) || ulen > sizeof(*uh) + ZTBE_WIRE_MAX_LEN ||
	    skb->len < sizeof(*ip6) + ulen)
		return ZTBOND_RX_BAD;
	if (pskb_trim_rcsum(skb, sizeof(*ip6) + ulen) ||
	    !pskb_may_pull(skb, sizeof(*ip6) + ulen))
		return ZTBOND_RX_BAD;
	ip6 = (const struct ipv6hdr *)skb->data;
	uh = (const struct udphdr *)(ip6 + 1);
	if (skb->ip_summed != CHECKSUM_UNNECESSARY &&
	    csum_ipv6_magic(&ip6->saddr, &ip6->daddr, ulen, IPPROTO_UDP,
			    csum_partial(uh, ulen, 0)))
		return ZTBOND_RX_BAD;
	if (ztbe_wire_parse((const u8 *)(uh + 1), ulen - sizeof(*uh), w))
		return ZTBOND_RX_BAD;
	/* the sender speaks for its own link only */
	if (!ether_addr_equal(w->link_mac, eth->h_source))
		return ZTBOND_RX_BAD;
	if (w->type == ZTBE_WIRE_HELLO ?
	    !ipv6_addr_equal(&ip6->daddr, &ztbond_group) :
	    !ether_addr_equal(eth->h_dest, link->dev->dev_addr))
		return ZTBOND_RX_BAD;
	if (snap->auth &&
	    (!(w->flags & ZTBE_WF_AUTH) ||
	     w->tag != ztbond_tag(uh + 1, w->len, &snap->auth_key)))
		return ZTBOND_RX_AUTH;
	return ZTBOND_RX_OK;
}

/* Under plock. */
static enum ztbond_rx_verdict
ztbond_proto_handle(struct ztbond_link *link, const struct ztbe_wire *w,
		    u64 now)
{
	struct ztbond_path *path = ztbond_path_find(link, w->link_mac);

	if (w->type == ZTBE_WIRE_HELLO) {
		/* a restarted or different bond behind a known MAC: start over */
		if (path && path->peer_id != w->bond_id)
			path->used = false;
		if (!path || !path->used)
			path = ztbond_path_new(link, w, now);
		if (!path)
			return ZTBOND_RX_BAD;
	}
	if (!path)	/* probes are answered, but no path is made from one */
		return w->type == ZTBE_WIRE_PROBE ? ZTBOND_RX_OK :
						    ZTBOND_RX_REPLAY;
	if (path->peer_id != w->bond_id || !ztbe_replay_ok(&path->replay, w->seq))
		return ZTBOND_RX_REPLAY;

	switch (w->type) {
	case ZTBE_WIRE_HELLO:
		ether_addr_copy(path->peer_bond_mac, w->bond_mac);
		path->peer_index = (u16)w->link_ifindex;
		/* whether broadcast may send this peer DATA frames: remap */
		if (path->peer_caps != w->caps) {
			path->peer_caps = w->caps;
			WRITE_ONCE(link->bond->paths_changed, true);
		}
		path->last_hello_ns = now;
		break;
	case ZTBE_WIRE_PROBE_REPLY:
		if (!ztbond_path_reply(link, path, w->probe_seq, w->timestamp,
				       now))
			return ZTBOND_RX_REPLAY;
		break;
	case ZTBE_WIRE_ECHO:
		/*
		 * authentic and fresh (replay window above); an ECHO whose
		 * stamp was reused under a burst only gives no sample
		 */
		ztbond_path_echo(link, path, w->echo_seq, now);
		break;
	}
	return ZTBOND_RX_OK;
}

/*
 * A control frame arrived on link (softirq, from the receive handler,
 * skb->data at the IPv6 header). Consumes skb. PROBEs are answered at
 * once, from here, so that the round trip holds no scheduling delay of
 * the peer.
 */
void ztbond_proto_rx(struct ztbond_link *link, const struct ztbond_snap *snap,
		     struct sk_buff *skb)
{
	enum ztbond_rx_verdict v;
	struct ztbe_wire w;
	struct ztbond_path *path;
	struct ztbond_wire_probe reply;
	u8 peer[ETH_ALEN];
	bool answer = false;
	u64 now = ktime_get_ns();

	v = ztbond_proto_check(link, snap, skb, &w);

	spin_lock(&link->plock);
	if (v == ZTBOND_RX_OK)
		v = ztbond_proto_handle(link, &w, now);
	/*
	 * A path's error ratio counts what came from its peer's MAC: ZeroTier
	 * lets a member send only with its own MAC, so nobody else can spoil
	 * another member's path (others' garbage is counted on the link).
	 */
	path = ztbond_path_find(link, eth_hdr(skb)->h_source);
	if (path)
		ztbe_window_push(&path->errors, v != ZTBOND_RX_OK);
	switch (v) {
	case ZTBOND_RX_OK:
		link->ctl_rx++;
		if (w.type == ZTBE_WIRE_PROBE) {
			reply.probe_seq = htonl(w.probe_seq);
			reply.reserved = 0;
			reply.timestamp = cpu_to_be64(w.timestamp);
			ether_addr_copy(peer, w.link_mac);
			answer = true;
		}
		break;
	case ZTBOND_RX_BAD:
		link->ctl_bad++;
		break;
	case ZTBOND_RX_AUTH:
		link->ctl_auth_fail++;
		break;
	case ZTBOND_RX_REPLAY:
		link->ctl_replay++;
		break;
	}
	spin_unlock(&link->plock);

	consume_skb(skb);
	if (answer)
		ztbond_proto_send(link, snap, ZTBE_WIRE_PROBE_REPLY, peer,
				  &reply, sizeof(reply));
}
