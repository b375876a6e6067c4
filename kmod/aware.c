// SPDX-License-Identifier: GPL-2.0
/*
 * ztbond: the balance-aware policy.
 *
 * Each usable link gets a share of the traffic (ppm): from the links'
 * "alloc" if any is set, else from their "speed", else automatic: their
 * measured relative quality times their measured capacity relative to
 * the largest (monitor.c samples it once a second). With balancePolicy
 * flow-dynamic or flow-static, flows are pinned to links in a bounded flow
 * table (4-way set associative, flowTableSize entries allocated once, no
 * allocation per flow); a new flow goes to the link furthest below its
 * share of the active flows. A flow whose link left the bond moves on its
 * next packet, and no other flow does. flow-dynamic also rebalances once
 * a second toward the shares, moving as few flows as possible
 * (engine/aware.c). balancePolicy packet spreads packets by a
 * smooth weighted round-robin sequence.
 *
 * Clients (ALB receive balancing, as bonding's rlb): ARP the bond sends
 * about a neighbour (a reply to it, a request for its address) is an entry
 * of its own, keyed by the neighbour's address and counted apart from the
 * flows: a new client goes to the link furthest below its share of
 * clients, so 8 clients over 3 equal links learn 3, 3 and 2 links' MACs
 * whatever the data flows do. A client stays on its link until the link
 * leaves the bond or the entry expires, or until a link comes (back):
 * then clients move toward the shares and are told with ARP, as bonding's
 * rlb does (ztbond_aware_spread_clients()). The once-a-second flow
 * rebalancing leaves clients alone (moving an entry would not move the
 * client before its next ARP).
 *
 * Packet path: one hash (the skb's, usually cached), one bucket of four
 * entries, a few atomics only when a flow is created or moved.
 */
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "ztbond_priv.h"

/* moves per rebalancing pass: a bound, not a target */
#define ZTBOND_MAX_MOVES	256

/*
 * Placement and rebalancing count the flows that sent in the last 2 s
 * (id_active), not every flow in the table: an idle flow (iperf3's control
 * connection, a ping that ended, the kernel's neighbour discovery) would
 * otherwise fill a slow link's quota and leave that link idle while bulk
 * flows crowd the others. The "flows" readout counts them all.
 */
#define ZTBOND_FLOW_ACTIVE_MS	2000

struct ztbond_flow_table {
	struct rcu_head rcu;
	u32 size;		/* entries */
	u32 mask;		/* buckets - 1 */
	u32 scan;		/* rebalancing resumes here */
	struct ztbe_flow ent[];
};

/* ---- packet path ---------------------------------------------------------- */

/* The per-link count placement goes by: clients, or the active flows. */
static atomic_t *ztbond_aware_count(struct ztbond *bond, bool client)
{
	return client ? bond->id_clients : bond->id_active;
}

/* An entry leaves link id (dec) or joins it (inc): its counts follow. */
static void ztbond_aware_account(struct ztbond *bond, bool client, u8 id,
				 int d)
{
	atomic_add(d, &ztbond_aware_count(bond, client)[id]);
	if (!client)
		atomic_add(d, &bond->id_flows[id]);
}

static int ztbond_aware_pick(const struct ztbond_snap *snap,
			     const atomic_t *count)
{
	u32 flows[ZTBOND_MAX_LINKS];
	u32 i;

	for (i = 0; i < snap->ntx; i++)
		flows[i] = max(atomic_read(&count[snap->tx[i]->id]), 0);
	return ztbe_pick_deficit(snap->share, flows, snap->ntx);
}

static bool ztbond_xmit_aware_flow(struct ztbond *bond,
				   const struct ztbond_snap *snap,
				   struct sk_buff *skb)
{
	struct ztbond_flow_table *ft = snap->ft;
	u32 now = (u32)jiffies, hash;
	bool client = false, moved = false;
	struct ztbe_flow *b;
	int w, way, idx;
	u64 key;

	hash = ztbond_arp_hash(skb, &client) ?: skb_get_hash(skb) ?: 1;
	b = &ft->ent[(hash & ft->mask) * ZTBE_FT_WAYS];
	w = ztbe_ft_find(b, hash, client, &way, &key);
	if (w >= 0) {
		idx = snap->tx_of_id[ztbe_ft_id(key)];
		if (likely(idx >= 0)) {
			if (READ_ONCE(b[w].used) != now)
				WRITE_ONCE(b[w].used, now);
			return ztbond_xmit_link(bond, snap, snap->tx[idx], skb);
		}
		/* its link left the bond: this flow moves, no other */
		moved = true;
		way = w;
	}
	idx = ztbond_aware_pick(snap, ztbond_aware_count(bond, client));
	/* first: a victim search must not see the new entry as the oldest */
	WRITE_ONCE(b[way].used, now);
	switch (ztbe_ft_add(b, hash, client, snap->tx[idx]->id, way, &key)) {
	case 1:
		/* an idle victim was not active: the tick's recount mends it */
		if (ztbe_ft_valid(key))
			ztbond_aware_account(bond, ztbe_ft_client(key),
					     ztbe_ft_id(key), -1);
		ztbond_aware_account(bond, client, snap->tx[idx]->id, 1);
		if (moved)
			atomic64_inc(&bond->flow_moves);
		break;
	case 0:
		/* another CPU placed it first: its link, if still ours */
		if (snap->tx_of_id[ztbe_ft_id(key)] >= 0)
			idx = snap->tx_of_id[ztbe_ft_id(key)];
		break;
	}
	return ztbond_xmit_link(bond, snap, snap->tx[idx], skb);
}

static bool ztbond_xmit_aware_packet(struct ztbond *bond,
				     const struct ztbond_snap *snap,
				     struct sk_buff *skb)
{
	struct ztbond_rr *rr = this_cpu_ptr(bond->rr);
	u32 idx = snap->wseq[rr->sent++ & (ZTBE_WSEQ - 1)];

	return ztbond_xmit_link(bond, snap, snap->tx[idx < snap->ntx ? idx : 0], skb);
}

/* ---- control path --------------------------------------------------------- */

/*
 * Weights from "alloc" if any link has one, else from "speed", else
 * automatic: measured quality times measured capacity (engine/aware.c).
 */
static void ztbond_build_aware(struct ztbond *bond, struct ztbond_snap *snap,
			       const struct ztbe_link_view *views,
			       struct ztbond_link **links, int n)
{
	u32 weight[ZTBOND_MAX_LINKS], cap[ZTBOND_MAX_LINKS];
	u8 idx[ZTBE_MAX_LINKS];
	bool alloc = false, speed = false;
	int k, i;

	k = ztbe_usable_set(views, n, idx);
	for (i = 0; i < k; i++) {
		alloc |= links[idx[i]]->cfg.alloc_ppm != 0;
		speed |= links[idx[i]]->cfg.speed != 0;
	}
	memset(snap->tx_of_id, -1, sizeof(snap->tx_of_id));
	for (i = 0; i < k; i++) {
		struct ztbond_link *l = links[idx[i]];

		snap->tx[i] = l;
		snap->tx_of_id[l->id] = i;
		weight[i] = alloc ? l->cfg.alloc_ppm :
			    speed ? l->cfg.speed : views[idx[i]].quality;
		cap[i] = READ_ONCE(l->capacity_kbps);
		WRITE_ONCE(l->cap_built, cap[i]);
	}
	if (!alloc && !speed)
		ztbe_auto_weights(weight, cap, k, weight);
	snap->ntx = k;
	ztbe_shares(weight, k, snap->share);
	ztbe_fill_wseq(snap->share, k, snap->wseq, ZTBE_WSEQ);
	snap->ft = rtnl_dereference(bond->ft);
	if (snap->balance == ZTBOND_BALANCE_PACKET)
		snap->xmit = ztbond_xmit_aware_packet;
	else if (snap->ft)
		snap->xmit = ztbond_xmit_aware_flow;
	else
		snap->ntx = 0;	/* no table: nothing to send with */
	snap->active = NULL;
}

const struct ztbond_policy_ops ztbond_aware_ops = {
	.name = "balance-aware",
	/* ZeroTier's quarters: the automatic allocation was measured with them */
	.qweight = { 250000, 0, 250000, 250000, 250000, 0 },
	.build = ztbond_build_aware,
	.xmit = ztbond_xmit_aware_packet,
};

static struct ztbond_flow_table *ztbond_ft_alloc(u32 entries)
{
	struct ztbond_flow_table *ft;

	ft = kvzalloc(struct_size(ft, ent, entries), GFP_KERNEL);
	if (!ft)
		return NULL;
	ft->size = entries;
	ft->mask = entries / ZTBE_FT_WAYS - 1;
	return ft;
}

/*
 * RTNL, before cfg is applied: make the flow table match it (and the
 * peers', when peers_flows: a peer has balance-aware with flows). The old
 * table is freed after an RCU grace period that starts only after the
 * caller published a snapshot without it (*old is for the caller).
 */
int ztbond_aware_prepare(struct ztbond *bond, const struct ztbond_cfg *cfg,
			 bool peers_flows, struct ztbond_flow_table **old)
{
	struct ztbond_flow_table *ft = rtnl_dereference(bond->ft), *nft = NULL;
	int i;

	*old = NULL;
	if (peers_flows || (cfg->policy == ZTBOND_POLICY_BALANCE_AWARE &&
			    cfg->balance != ZTBOND_BALANCE_PACKET)) {
		if (ft && ft->size == cfg->flow_max)
			return 0;
		nft = ztbond_ft_alloc(cfg->flow_max);
		if (!nft)
			return -ENOMEM;
	}
	if (ft == nft)
		return 0;
	rcu_assign_pointer(bond->ft, nft);
	for (i = 0; i < ZTBOND_MAX_LINKS; i++) {
		atomic_set(&bond->id_flows[i], 0);
		atomic_set(&bond->id_active[i], 0);
		atomic_set(&bond->id_clients[i], 0);
	}
	*old = ft;
	return 0;
}

void ztbond_aware_release(struct ztbond_flow_table *old)
{
	if (old)
		kvfree_rcu(old, rcu);
}

/* ndo_uninit: the last snapshot is gone already. */
void ztbond_aware_free(struct ztbond *bond)
{
	struct ztbond_flow_table *ft = rtnl_dereference(bond->ft);

	RCU_INIT_POINTER(bond->ft, NULL);
	ztbond_aware_release(ft);
}

u32 ztbond_aware_flows(struct ztbond *bond)
{
	u32 n = 0;
	int i;

	for (i = 0; i < ZTBOND_MAX_LINKS; i++)
		n += max(atomic_read(&bond->id_flows[i]), 0);
	return n;
}

/* Move one flow, or one client, from link id from_id to link id to_id. */
static bool ztbond_aware_move(struct ztbond_flow_table *ft, u8 from_id,
			      u8 to_id, bool client)
{
	u32 i, e, now = (u32)jiffies;
	u32 active = msecs_to_jiffies(ZTBOND_FLOW_ACTIVE_MS);
	u64 key;

	for (i = 0; i < ft->size; i++) {
		e = (ft->scan + i) & (ft->size - 1);
		key = READ_ONCE(ft->ent[e].key);
		if (ztbe_ft_valid(key) && ztbe_ft_client(key) == client &&
		    ztbe_ft_id(key) == from_id &&
		    (client ||
		     !ztbe_ft_idle(READ_ONCE(ft->ent[e].used), now, active)) &&
		    /* the packet path may have replaced it meanwhile */
		    try_cmpxchg64(&ft->ent[e].key, &key,
				  ztbe_ft_with_id(key, to_id))) {
			ft->scan = e + 1;
			return true;
		}
	}
	return false;
}

/*
 * The selection that uses the flow table: the bond's, or that of a peer
 * with balance-aware (all of them spread over the same links with the same
 * shares; the first one with flows speaks for all).
 */
static const struct ztbond_snap *ztbond_aware_sel(const struct ztbond_snap *snap)
{
	u32 g;

	if (snap->ft)
		return snap;
	for (g = 0; snap->peers && g < ZTBOND_MAX_PEER_POLICIES; g++)
		if (snap->peers->sel[g].ft)
			return &snap->peers->sel[g];
	return NULL;
}

/* Does the bond or one of its peers use balance-aware? */
bool ztbond_aware_used(struct ztbond *bond)
{
	return READ_ONCE(bond->cfg.policy) == ZTBOND_POLICY_BALANCE_AWARE ||
	       READ_ONCE(bond->peers_aware);
}

/*
 * Move flows (or clients) from the link most over its share to the one
 * most under it, one at a time, at most ZTBOND_MAX_MOVES; n[] holds the
 * counts per index of snap->tx and follows the moves. Returns the moves.
 */
static u32 ztbond_aware_rebalance(struct ztbond *bond,
				  struct ztbond_flow_table *ft,
				  const struct ztbond_snap *snap, u32 *n,
				  bool client)
{
	u32 moves = 0;
	int from, to;

	while (moves < ZTBOND_MAX_MOVES &&
	       ztbe_rebalance_step(snap->share, n, snap->ntx, &from, &to)) {
		if (!ztbond_aware_move(ft, snap->tx[from]->id, snap->tx[to]->id,
				       client))
			break;
		n[from]--;
		n[to]++;
		ztbond_aware_account(bond, client, snap->tx[from]->id, -1);
		ztbond_aware_account(bond, client, snap->tx[to]->id, 1);
		atomic64_inc(&bond->flow_moves);
		moves++;
	}
	return moves;
}

/*
 * Monitor work, once a second, under rcu_read_lock(): expire idle flows,
 * recount the flows, the active flows and the clients per link (the
 * packet path's counts drift under races), and with flow-dynamic move
 * active flows toward the shares.
 */
void ztbond_aware_tick(struct ztbond *bond, bool rebalance)
{
	const struct ztbond_snap *snap = rcu_dereference(bond->snap);
	struct ztbond_flow_table *ft = rcu_dereference(bond->ft);
	u32 count[ZTBOND_MAX_LINKS] = { 0 }, clients[ZTBOND_MAX_LINKS] = { 0 };
	u32 active[ZTBOND_MAX_LINKS] = { 0 };
	u32 flows[ZTBOND_MAX_LINKS], *cnt;
	u32 now = (u32)jiffies, expire, lately, i;
	u8 balance;

	if (!snap)
		return;
	snap = ztbond_aware_sel(snap);
	if (!snap || !ft || snap->ft != ft)
		return;
	balance = snap->balance;
	expire = msecs_to_jiffies(READ_ONCE(bond->cfg.flow_expire));
	lately = msecs_to_jiffies(ZTBOND_FLOW_ACTIVE_MS);
	for (i = 0; i < ft->size; i++) {
		struct ztbe_flow *e = &ft->ent[i];
		u32 used = READ_ONCE(e->used);
		u64 key = READ_ONCE(e->key);
		u8 id;

		/* a way the packet path took meanwhile stays (key: its entry) */
		if (ztbe_ft_valid(key) && ztbe_ft_idle(used, now, expire) &&
		    try_cmpxchg64(&e->key, &key, 0))
			continue;
		if (!ztbe_ft_valid(key))
			continue;
		id = ztbe_ft_id(key) % ZTBOND_MAX_LINKS;
		if (ztbe_ft_client(key)) {
			clients[id]++;
			continue;
		}
		count[id]++;
		if (!ztbe_ft_idle(READ_ONCE(e->used), now, lately))
			active[id]++;
	}
	/*
	 * Flows of links that left the bond and sent nothing since: move them
	 * now (the packet path would on their next packet), so that the
	 * counts say where traffic will go. Only those flows move, placed by
	 * the active flows' counts, clients by the clients' counts.
	 */
	for (i = 0; i < ft->size && snap->ntx; i++) {
		struct ztbe_flow *e = &ft->ent[i];
		u64 key = READ_ONCE(e->key);
		u8 from = ztbe_ft_id(key) % ZTBOND_MAX_LINKS, to_id;
		bool client = ztbe_ft_client(key);
		u32 j;
		int to;

		if (!ztbe_ft_valid(key) || snap->tx_of_id[from] >= 0)
			continue;
		cnt = client ? clients : active;
		for (j = 0; j < snap->ntx; j++)
			flows[j] = cnt[snap->tx[j]->id];
		to = ztbe_pick_deficit(snap->share, flows, snap->ntx);
		to_id = snap->tx[to]->id;
		/* the packet path moved or replaced it first: the next tick counts it */
		if (!try_cmpxchg64(&e->key, &key, ztbe_ft_with_id(key, to_id)))
			continue;
		if (!client) {
			count[from]--;
			count[to_id]++;
			if (ztbe_ft_idle(READ_ONCE(e->used), now, lately))
				cnt = NULL;	/* idle: not in active[] */
		}
		if (cnt) {
			cnt[from]--;
			cnt[to_id]++;
		}
		atomic64_inc(&bond->flow_moves);
	}
	for (i = 0; i < ZTBOND_MAX_LINKS; i++) {
		atomic_set(&bond->id_flows[i], count[i]);
		atomic_set(&bond->id_active[i], active[i]);
		atomic_set(&bond->id_clients[i], clients[i]);
	}

	if (!rebalance || balance != ZTBOND_BALANCE_FLOW_DYNAMIC)
		return;
	for (i = 0; i < snap->ntx; i++)
		flows[i] = active[snap->tx[i]->id];
	ztbond_aware_rebalance(bond, ft, snap, flows, false);
}

/*
 * RTNL, after a link joined the selection (a new link, or one back from a
 * failure or punishment): move clients toward the shares, as bonding's rlb
 * redistributes its clients when a slave comes. Clients otherwise stay
 * where they are, so without this the clients of a link that failed once
 * would crowd the others for good. The caller tells the clients
 * (ztbond_notify_clients()); only the moved ones learn a new MAC.
 * Returns the number of clients moved.
 */
u32 ztbond_aware_spread_clients(struct ztbond *bond,
				const struct ztbond_snap *snap)
{
	struct ztbond_flow_table *ft = rtnl_dereference(bond->ft);
	u32 clients[ZTBOND_MAX_LINKS] = { 0 }, n[ZTBOND_MAX_LINKS], i;

	snap = ztbond_aware_sel(snap);
	if (!snap || !ft || snap->ft != ft || snap->ntx < 2)
		return 0;
	for (i = 0; i < ft->size; i++) {
		u64 key = READ_ONCE(ft->ent[i].key);

		if (ztbe_ft_valid(key) && ztbe_ft_client(key))
			clients[ztbe_ft_id(key) % ZTBOND_MAX_LINKS]++;
	}
	for (i = 0; i < snap->ntx; i++)
		n[i] = clients[snap->tx[i]->id];
	return ztbond_aware_rebalance(bond, ft, snap, n, true);
}
