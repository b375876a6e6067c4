// SPDX-License-Identifier: GPL-2.0
/*
 * ztbond engine: balance-aware allocation.
 *
 * Shares are ppm of traffic per usable link (ztbe_shares()). Flows are
 * placed on the link furthest below its share (so 8 flows over shares
 * 4:2:1 land 5:2:1, the closest integer split, not whatever a hash gives);
 * rebalancing moves one flow at a time from the link most over its share
 * to the one most under it, and stops as soon as no move brings the split
 * closer to the targets by more than a margin (measurement noise), which
 * moves as few flows as possible. Packets (balancePolicy "packet") follow
 * a precomputed smooth weighted round-robin sequence.
 * All of it is control-path arithmetic except ztbe_pick_deficit(), which
 * runs once per new flow: O(links), multiplications only.
 */
#include "engine.h"

/*
 * Smooth weighted round-robin (as in nginx): each step every link gains
 * its share, the richest is chosen and pays the total. Spreads each
 * link's turns evenly over the sequence.
 */
void ztbe_fill_wseq(const u32 *share, int n, u8 *seq, int len)
{
	s64 cur[ZTBE_MAX_LINKS] = { 0 };
	s64 total = 0;
	int i, k, best;

	if (n <= 0) {
		for (k = 0; k < len; k++)
			seq[k] = 0;
		return;
	}
	for (i = 0; i < n; i++)
		total += share[i];
	for (k = 0; k < len; k++) {
		best = 0;
		for (i = 0; i < n; i++) {
			cur[i] += total ? share[i] : 1;
			if (cur[i] > cur[best])
				best = i;
		}
		cur[best] -= total ? total : n;
		seq[k] = (u8)best;
	}
}

/*
 * The link a new flow goes to: largest share * (total + 1) - flows * PPM,
 * i.e. the one furthest below its share once the flow is counted.
 */
int ztbe_pick_deficit(const u32 *share, const u32 *flows, int n)
{
	u64 total = 1;
	s64 best_d = 0, d;
	int i, best = -1;

	for (i = 0; i < n; i++)
		total += flows[i];
	for (i = 0; i < n; i++) {
		d = (s64)((u64)share[i] * total) - (s64)((u64)flows[i] * ZTBE_PPM);
		if (best < 0 || d > best_d) {
			best = i;
			best_d = d;
		}
	}
	return best;
}

/*
 * One rebalancing move: from the link most over its share to the one most
 * under it, if that lowers the total distance from the targets by a margin.
 * A move lowers it when the two distances (in ppm of one flow) add up to
 * more than one flow; at exactly one flow it only trades one split for an
 * equally good one. Measured shares differ by noise (equal links' shares
 * were 0.3337/0.3336/0.3327) and the active flows come and go by one (a
 * neighbour solicitation is a flow for 2 s), so without a margin 25 flows
 * over three equal links moved a flow to the first link at 8/9/8 and back
 * at 9/7/8 a few seconds later, for ever. The margin, ZTBE_REBAL_SLACK
 * of one flow plus ZTBE_REBAL_SLACK_TOTAL of all of them (share noise in
 * flows grows with their number), keeps such a split where it is; 8 flows
 * on 4:2:1 still end 5:2:1. Each move lowers the distance, so the moves
 * end. Returns 1 with from and to set, or 0: balanced.
 */
int ztbe_rebalance_step(const u32 *share, const u32 *flows, int n,
			int *from, int *to)
{
	s64 over = 0, under = 0, d;
	u64 total = 0;
	int i;

	*from = *to = -1;
	for (i = 0; i < n; i++)
		total += flows[i];
	for (i = 0; i < n; i++) {
		/* flows above target, in ppm of one flow */
		d = (s64)((u64)flows[i] * ZTBE_PPM) - (s64)((u64)share[i] * total);
		if (d > over) {
			over = d;
			*from = i;
		}
		if (-d > under) {
			under = -d;
			*to = i;
		}
	}
	if (*from < 0 || *to < 0 ||
	    over + under <= (s64)(ZTBE_PPM + ZTBE_REBAL_SLACK +
				  total * ZTBE_REBAL_SLACK_TOTAL))
		return 0;
	return 1;
}

/*
 * One sample of a link's capacity: "bytes" left it in "ns". Only a busy
 * link's rate is a capacity (an idle one sent what it was given); the
 * slot of an idle second is cleared, so that an estimate ages out
 * ZTBE_CAP_SLOTS samples after the link was last seen busy.
 */
void ztbe_cap_sample(struct ztbe_cap *c, u64 bytes, u64 ns, bool busy)
{
	u64 kbps = 0;

	if (busy && ns)
		kbps = ztbe_div64(bytes * 8 * 1000000ULL, ns);
	c->kbps[c->pos] = kbps > 0xffffffffULL ? 0xffffffffU : (u32)kbps;
	c->pos = (c->pos + 1) % ZTBE_CAP_SLOTS;
}

u32 ztbe_cap_estimate(const struct ztbe_cap *c)
{
	u32 m = 0;
	int i;

	for (i = 0; i < ZTBE_CAP_SLOTS; i++)
		if (c->kbps[i] > m)
			m = c->kbps[i];
	return m;
}

/*
 * Automatic allocation (ZeroTier's documented rule): a link's weight is
 * its relative quality times its capacity relative to the largest. A link
 * whose capacity is not known (never busy lately) counts as the largest:
 * nothing showed a limit, and a bigger share is how one would show. With
 * no capacity known at all the weights are the qualities.
 */
void ztbe_auto_weights(const u32 *quality, const u32 *cap_kbps, int n,
		       u32 *weight)
{
	u32 top = 0;
	int i;

	for (i = 0; i < n; i++)
		if (cap_kbps[i] > top)
			top = cap_kbps[i];
	for (i = 0; i < n; i++) {
		u32 cap = cap_kbps[i] ? cap_kbps[i] : top;

		weight[i] = top ? (u32)ztbe_div64((u64)quality[i] * cap, top) :
				  quality[i];
	}
}
