// SPDX-License-Identifier: GPL-2.0
/*
 * ztbond: the remote ztbonds this bond has paths to, and per-path
 * addressing (Documentation/ztbond.rst, "Bonded to bonded").
 *
 * HELLO makes a path per (local link, remote link). On ZeroTier every
 * member reaches every other one, so each local link usually has a path to
 * each link of a remote ztbond. A frame for a remote ztbond, to any of its
 * link MACs or its bond MAC (whichever our neighbour table learned), leaves
 * each local link addressed to the remote link that local link is paired
 * with: the local links in ifindex order take the remote's links in the
 * order of their ifindex, round robin, alive paths first. Both ends follow
 * the same rule, so the pairs are symmetric (first with first, second with
 * second), the members on both ends carry traffic, and every frame is
 * unicast to a member's own MAC, which ZeroTier delivers without bridging.
 *
 * IPv4 address resolution between two ztbonds does not cross ZeroTier
 * without bridging: the address lives on the bond, so no member subscribes
 * to its ARP group. ARP the bond broadcasts therefore also goes, unicast,
 * to each remote ztbond: the owner of the address answers it, and learns
 * our link MAC from it. (IPv6 needs nothing: each link joins the
 * solicited-node groups of the bond's addresses.)
 *
 * Transmit reads the table from the snapshot and takes no lock.
 */
#include <linux/netdevice.h>
#include <linux/etherdevice.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>

#include "ztbond_priv.h"

/* A path as the rebuild needs it, copied out from under link->plock. */
struct ztbond_remote_path {
	u64 id;				/* remote bond */
	u8 mac[ETH_ALEN];		/* remote link */
	u8 bond_mac[ETH_ALEN];
	u16 index;			/* remote link's ifindex */
	u32 caps;
	u8 idx;				/* index of link->paths[] */
	bool alive;
	bool done;
};

/* ---- the table (RTNL) ---------------------------------------------------- */

static void ztbond_remote_add_mac(struct ztbond_remote_tab *tab, const u8 *mac,
				  u8 peer)
{
	u32 slot = (mac[5] ^ (mac[4] << 1) ^ (mac[3] << 2) ^ (mac[2] << 3)) &
		   (ZTBOND_REMOTE_SLOTS - 1);
	u32 i;

	if (is_zero_ether_addr(mac))	/* no HELLO on that path yet */
		return;
	for (i = 0; i < ZTBOND_REMOTE_SLOTS; i++) {
		struct ztbond_remote_slot *s =
			&tab->slot[(slot + i) & (ZTBOND_REMOTE_SLOTS - 1)];

		if (s->used) {
			if (ether_addr_equal(s->mac, mac))
				return;
			continue;
		}
		if (tab->nmacs >= ZTBOND_REMOTE_MACS_MAX)
			return;		/* frames to it go out as they are */
		ether_addr_copy(s->mac, mac);
		s->used = true;
		s->peer = peer;
		tab->nmacs++;
		return;
	}
}

/* The position of link l among the rebuild's links, by ifindex. */
static int ztbond_link_rank(const struct ztbond_build_ctx *ctx, int l)
{
	int i, r = 0;

	for (i = 0; i < ctx->n; i++)
		r += ctx->links[i]->dev->ifindex < ctx->links[l]->dev->ifindex;
	return r;
}

static int ztbond_remote_find(struct ztbond_remote_tab *tab, u64 *ids, u64 id)
{
	u32 k;

	for (k = 0; k < tab->npeers; k++)
		if (ids[k] == id)
			return k;
	if (k == ZTBOND_REMOTES)
		return -1;
	ids[tab->npeers] = id;
	return tab->npeers++;
}

/*
 * Link l's paths to the remote bond of cp[first]: pair l with one of them
 * (see the top of the file) and mark them all done. Returns the chosen one.
 */
static const struct ztbond_remote_path *
ztbond_remote_pair(struct ztbond_remote_path *cp, int np, int first, int rank)
{
	int c[ZTBOND_MAX_PATHS], nc = 0, nalive = 0, i, j;

	for (i = first; i < np; i++)
		if (cp[i].id == cp[first].id)
			nalive += cp[i].alive;
	for (i = first; i < np; i++) {
		if (cp[i].id != cp[first].id)
			continue;
		cp[i].done = true;
		if (nalive && !cp[i].alive)
			continue;
		/* insertion by remote ifindex: at most ZTBOND_MAX_PATHS */
		for (j = nc++; j > 0 && cp[c[j - 1]].index > cp[i].index; j--)
			c[j] = c[j - 1];
		c[j] = i;
	}
	return &cp[c[rank % nc]];
}

/*
 * Each remote gets the transmit sequence kept for its bond id across
 * rebuilds, or one no remote of this table uses (which starts over at 0:
 * the receiver follows a jump). There are as many as remotes can be.
 */
static void ztbond_remote_txseq(struct ztbond *bond,
				struct ztbond_remote_tab *tab, const u64 *ids)
{
	bool taken[ZTBOND_REMOTES] = { false };
	u32 k, j;

	for (k = 0; k < tab->npeers; k++)
		for (j = 0; j < ZTBOND_REMOTES; j++)
			if (bond->txseq[j].id == ids[k]) {
				tab->peer[k].seq = &bond->txseq[j].seq;
				taken[j] = true;
				break;
			}
	for (k = 0, j = 0; k < tab->npeers; k++) {
		if (tab->peer[k].seq)
			continue;
		while (taken[j])
			j++;
		taken[j] = true;
		bond->txseq[j].id = ids[k];
		atomic64_set(&bond->txseq[j].seq, 0);
		tab->peer[k].seq = &bond->txseq[j].seq;
	}
}

/*
 * From ztbond_rebuild(): the remote ztbonds, their MACs, the remote link
 * each local link addresses them at, the link ARP to them leaves on, and
 * (broadcast with dedup) whether they take DATA frames.
 * Returns -ENOMEM only; then frames go to the MACs the stack chose.
 */
int ztbond_remote_build(struct ztbond *bond, struct ztbond_snap *snap,
			struct ztbond_build_ctx *ctx)
{
	struct ztbond_remote_path cp[ZTBOND_MAX_PATHS];
	bool via_alive[ZTBOND_REMOTES] = { false };
	u32 need = ztbond_encap_caps(bond);
	struct ztbond_remote_tab *tab = NULL;
	u64 ids[ZTBOND_REMOTES];
	u32 skipped = 0;
	int l, i, np, k;

	snap->remotes = NULL;
	for (l = 0; l < ctx->n; l++) {
		struct ztbond_link *link = ctx->links[l];
		int rank = ztbond_link_rank(ctx, l);

		np = 0;
		spin_lock_bh(&link->plock);
		for (i = 0; i < ZTBOND_MAX_PATHS; i++) {
			const struct ztbond_path *p = &link->paths[i];

			if (!p->used)
				continue;
			cp[np].id = p->peer_id;
			ether_addr_copy(cp[np].mac, p->peer_mac);
			ether_addr_copy(cp[np].bond_mac, p->peer_bond_mac);
			cp[np].index = p->peer_index;
			cp[np].caps = p->peer_caps;
			cp[np].idx = i;
			cp[np].alive = p->alive;
			cp[np].done = false;
			np++;
		}
		spin_unlock_bh(&link->plock);

		for (i = 0; i < np; i++) {
			const struct ztbond_remote_path *pick;
			struct ztbond_remote *r;
			int j;

			if (cp[i].done)
				continue;
			if (!tab) {
				tab = kzalloc(sizeof(*tab), GFP_KERNEL);
				if (!tab)
					return -ENOMEM;
			}
			k = ztbond_remote_find(tab, ids, cp[i].id);
			if (k < 0) {
				skipped++;
				for (j = i; j < np; j++)
					cp[j].done |= cp[j].id == cp[i].id;
				continue;
			}
			for (j = i; j < np; j++) {
				if (cp[j].id != cp[i].id)
					continue;
				ztbond_remote_add_mac(tab, cp[j].mac, k);
				ztbond_remote_add_mac(tab, cp[j].bond_mac, k);
			}
			pick = ztbond_remote_pair(cp, np, i, rank);
			r = &tab->peer[k];
			r->links |= BIT_ULL(link->id);
			ether_addr_copy(r->mac[link->id], pick->mac);
			r->path[link->id] = pick->idx;
			if (pick->caps & ZTBE_CAP_ECHO)
				r->echo |= BIT_ULL(link->id);
			r->data |= need && (pick->caps & need) == need;
			/* the first usable link with a live path, else any */
			if (!via_alive[k] && (!r->via ||
					      (pick->alive && ctx->views[l].usable))) {
				r->via = link;
				via_alive[k] = pick->alive && ctx->views[l].usable;
			}
		}
	}
	if (skipped)
		net_warn_ratelimited("%s: more than %u remote ztbonds: the others are addressed as the stack asks\n",
				     bond->dev->name, ZTBOND_REMOTES);
	if (tab)
		ztbond_remote_txseq(bond, tab, ids);
	snap->remotes = tab;
	return 0;
}

/* ---- transmit ------------------------------------------------------------ */

/*
 * Per frame on its link, after the source was set: a frame for a remote
 * ztbond goes to the remote link this link is paired with.
 * Returns -ENOMEM only (the frame is dropped).
 */
int ztbond_remote_dst(const struct ztbond_snap *snap,
		      const struct ztbond_link *link, struct sk_buff *skb)
{
	struct ethhdr *eth = (struct ethhdr *)skb->data;
	const struct ztbond_remote *r;

	if (is_multicast_ether_addr(eth->h_dest))
		return 0;
	r = ztbond_remote_lookup(snap->remotes, eth->h_dest);
	if (!r || !(r->links & BIT_ULL(link->id)) ||
	    ether_addr_equal(eth->h_dest, r->mac[link->id]))
		return 0;
	if (unlikely(skb_cow_head(skb, 0)))
		return -ENOMEM;
	eth = (struct ethhdr *)skb->data;
	ether_addr_copy(eth->h_dest, r->mac[link->id]);
	return 0;
}

/*
 * An ARP frame the bond broadcasts: a copy to each remote ztbond, unicast
 * from its "via" link to the remote link that one is paired with. The
 * original still goes out as the policy says (plain members, bridges).
 * A copy per remote, at most ZTBOND_REMOTES; ARP is rare.
 */
void ztbond_remote_arp(struct ztbond *bond, const struct ztbond_snap *snap,
		       const struct sk_buff *skb)
{
	const struct ztbond_remote_tab *tab = snap->remotes;
	struct sk_buff *nskb;
	u32 k;

	if (!is_broadcast_ether_addr(((const struct ethhdr *)skb->data)->h_dest))
		return;
	for (k = 0; k < tab->npeers; k++) {
		const struct ztbond_remote *r = &tab->peer[k];

		if (!r->via)
			continue;
		nskb = skb_copy(skb, GFP_ATOMIC);
		if (unlikely(!nskb)) {
			ztbond_stats_add_tx_drop(r->via->stats);
			continue;
		}
		ether_addr_copy(((struct ethhdr *)nskb->data)->h_dest,
				r->mac[r->via->id]);
		ztbond_xmit_link(bond, snap, r->via, nskb);
	}
}
