// SPDX-License-Identifier: GPL-2.0
/*
 * ztbond: peers with their own policy (ZeroTier's peerSpecificBonds).
 *
 * The configuration is a table of (peer MAC, policy parameters), kept under
 * RTNL. Each rebuild turns it into one selection per distinct policy
 * (ZTBOND_MAX_PEER_POLICIES at most), built from the same link views as
 * the bond's own, and a table from destination MAC to selection that the
 * transmit path probes (ztbond_peer_sel()). A bond without peer policies
 * publishes no table, and its transmit path tests one pointer.
 *
 * A remote ztbond is named by one of its MACs, but its traffic goes to
 * whichever of its link MACs our neighbour table learnt: every link MAC
 * that bond announces in HELLO (same bond id) leads to the same selection.
 */
#include <linux/etherdevice.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>

#include "ztbond_priv.h"

void ztbond_peer_tab_free(struct ztbond_peer_tab *tab)
{
	kvfree(tab);
}

static void ztbond_peer_tab_add(struct ztbond_peer_tab *tab, const u8 *mac,
				u8 group, u8 entry)
{
	u32 slot = ztbond_peer_hash(mac), i;

	for (i = 0; i < ZTBOND_PEER_SLOTS; i++) {
		struct ztbond_peer_slot *s =
			&tab->slot[(slot + i) & (ZTBOND_PEER_SLOTS - 1)];

		if (s->used) {
			/* the first entry that names a MAC keeps it */
			if (ether_addr_equal(s->mac, mac))
				return;
			continue;
		}
		if (tab->nmacs >= ZTBOND_PEER_MACS_MAX)
			break;
		ether_addr_copy(s->mac, mac);
		s->used = true;
		s->group = group;
		s->entry = entry;
		tab->nmacs++;
		return;
	}
	tab->overflow++;
}

/* Bond ids of the remote ztbonds that announced mac as a link or bond MAC. */
static int ztbond_peer_ids(struct ztbond *bond, const u8 *mac, u64 *ids,
			   int max)
{
	struct ztbond_link *link;
	int n = 0, i, j;

	list_for_each_entry(link, &bond->links, list) {
		spin_lock_bh(&link->plock);
		for (i = 0; i < ZTBOND_MAX_PATHS; i++) {
			const struct ztbond_path *p = &link->paths[i];

			if (!p->used || (!ether_addr_equal(p->peer_mac, mac) &&
					 !ether_addr_equal(p->peer_bond_mac, mac)))
				continue;
			for (j = 0; j < n && ids[j] != p->peer_id; j++)
				;
			if (j == n && n < max)
				ids[n++] = p->peer_id;
		}
		spin_unlock_bh(&link->plock);
	}
	return n;
}

/* Every MAC of the remote ztbonds in ids leads to group too. */
static void ztbond_peer_tab_expand(struct ztbond *bond,
				   struct ztbond_peer_tab *tab,
				   const u64 *ids, int nids, u8 group, u8 entry)
{
	struct ztbond_link *link;
	int i, j;

	list_for_each_entry(link, &bond->links, list) {
		spin_lock_bh(&link->plock);
		for (i = 0; i < ZTBOND_MAX_PATHS; i++) {
			const struct ztbond_path *p = &link->paths[i];

			if (!p->used)
				continue;
			for (j = 0; j < nids; j++) {
				if (p->peer_id != ids[j])
					continue;
				ztbond_peer_tab_add(tab, p->peer_mac, group,
						    entry);
				if (is_valid_ether_addr(p->peer_bond_mac))
					ztbond_peer_tab_add(tab, p->peer_bond_mac,
							    group, entry);
			}
		}
		spin_unlock_bh(&link->plock);
	}
}

static struct ztbond_link *ztbond_link_by_id(struct ztbond_build_ctx *ctx,
					     s8 id)
{
	int i;

	for (i = 0; id >= 0 && i < ctx->n; i++)
		if (ctx->links[i]->id == id)
			return ctx->links[i];
	return NULL;
}

/*
 * RTNL, from ztbond_rebuild(): the peers' selections for snap. A peer's
 * active link (none, active-backup) is remembered per group by link id,
 * as the bond's own is, so a rebuild does not move a peer's traffic.
 */
int ztbond_peers_build(struct ztbond *bond, struct ztbond_snap *snap,
		       struct ztbond_build_ctx *ctx)
{
	struct ztbond_peer_tab *tab;
	u64 ids[ZTBOND_MAX_PATHS];
	u32 e;
	u8 g;

	snap->peers = NULL;
	if (!bond->npeers)
		return 0;
	tab = kvzalloc(sizeof(*tab), GFP_KERNEL);
	if (!tab)
		return -ENOMEM;

	for (g = 0; g < bond->npeer_groups; g++) {
		const struct ztbond_peer_cfg *pc = NULL;
		struct ztbond_snap *sel = &tab->sel[g];

		for (e = 0; e < bond->npeers && !pc; e++)
			if (bond->peers[e].group == g)
				pc = &bond->peers[e];
		if (WARN_ON_ONCE(!pc))
			continue;
		sel->link_select = pc->link_select;
		sel->balance = pc->balance;
		sel->packets_per_link = pc->packets_per_link;
		sel->active = ztbond_link_by_id(ctx, bond->peer_active[g]);
		ztbond_build_sel(bond, ztbond_policy_ops(pc->policy), sel, ctx);
		bond->peer_active[g] = sel->active ? sel->active->id : -1;
	}
	/* the configured MACs first: they win over what HELLO adds */
	for (e = 0; e < bond->npeers; e++)
		ztbond_peer_tab_add(tab, bond->peers[e].mac,
				    bond->peers[e].group, e);
	for (e = 0; e < bond->npeers; e++) {
		int nids = ztbond_peer_ids(bond, bond->peers[e].mac, ids,
					   ARRAY_SIZE(ids));

		if (nids)
			ztbond_peer_tab_expand(bond, tab, ids, nids,
					       bond->peers[e].group, e);
	}
	if (tab->overflow)
		net_warn_ratelimited("%s: %u peer MACs found no room in the peer table (%u)\n",
				     bond->dev->name, tab->overflow,
				     ZTBOND_PEER_MACS_MAX);
	snap->peers = tab;
	return 0;
}

/*
 * RTNL: install a new peer table (already checked), dropping the old one.
 * The caller rebuilds the snapshot.
 */
void ztbond_peers_set(struct ztbond *bond, struct ztbond_peer_cfg *peers,
		      u32 n, u8 ngroups)
{
	u32 pols = 0, i;

	kfree(bond->peers);
	bond->peers = n ? peers : NULL;
	if (!n)
		kfree(peers);
	bond->npeers = n;
	bond->npeer_groups = n ? ngroups : 0;
	WRITE_ONCE(bond->peers_aware, ztbond_peers_aware(peers, n, false));
	for (i = 0; i < n; i++)
		pols |= BIT(peers[i].policy);
	WRITE_ONCE(bond->peer_policies, pols);
	memset(bond->peer_active, -1, sizeof(bond->peer_active));
}

/* Has a peer balance-aware (with flows: with a flow table to use)? */
bool ztbond_peers_aware(const struct ztbond_peer_cfg *peers, u32 n, bool flows)
{
	u32 i;

	for (i = 0; i < n; i++)
		if (peers[i].policy == ZTBOND_POLICY_BALANCE_AWARE &&
		    (!flows || peers[i].balance != ZTBOND_BALANCE_PACKET))
			return true;
	return false;
}

/* RTNL: the peer entry whose policy carries traffic to mac, or NULL. */
const struct ztbond_peer_cfg *ztbond_peer_of(struct ztbond *bond,
					     const u8 *mac)
{
	const struct ztbond_snap *snap = rtnl_dereference(bond->snap);
	const struct ztbond_peer_tab *tab = snap ? snap->peers : NULL;
	u32 slot = ztbond_peer_hash(mac), i;

	for (i = 0; tab && i < ZTBOND_PEER_SLOTS; i++) {
		const struct ztbond_peer_slot *s =
			&tab->slot[(slot + i) & (ZTBOND_PEER_SLOTS - 1)];

		if (!s->used)
			break;
		if (ether_addr_equal(s->mac, mac))
			return s->entry < bond->npeers ?
			       &bond->peers[s->entry] : NULL;
	}
	return NULL;
}
