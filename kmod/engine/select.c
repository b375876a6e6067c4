// SPDX-License-Identifier: GPL-2.0
/*
 * ztbond engine: link selection for the static policies.
 *
 * "usable" is what the kernel glue derived from carrier, probes, upDelay/
 * downDelay, punishment and "enabled"; "quality" is the relative quality
 * the quality engine measured (1000000 for every link without
 * measurements, so that the administrator's order decides).
 */
#include "engine.h"

/*
 * The best usable link (a primary if want_primary): highest quality, the
 * first in enslave order on a tie, so that without measurements the order
 * is the administrator's.
 */
static int ztbe_best(const struct ztbe_link_view *links, int n,
		     bool want_primary)
{
	int i, best = -1;

	for (i = 0; i < n; i++) {
		if (!links[i].usable || (want_primary && !links[i].primary))
			continue;
		if (best < 0 || links[i].quality > links[best].quality)
			best = i;
	}
	return best;
}

/*
 * active-backup: choose the link that carries all traffic.
 *
 * While the current link is usable, linkSelectMethod decides whether a
 * primary takes over again: "always" as soon as one is usable, "better"
 * only if it is better than the current link, "failure" never; "optimize"
 * moves to any link that is clearly better (by ZTBE_OPTIMIZE_MARGIN), primary
 * or not. When the current link fails, its failoverTo link is taken if
 * usable, else its failoverTo in turn (a chain), then the best usable
 * primary, then the best usable spare (the failover queue is sorted by
 * quality).
 */
int ztbe_ab_select(const struct ztbe_link_view *links, int n, int cur,
		   enum ztbe_select method)
{
	int next;

	if (cur >= n)
		cur = -1;

	if (cur >= 0 && links[cur].usable) {
		const struct ztbe_link_view *c = &links[cur];
		u64 bar;

		switch (method) {
		case ZTBE_SELECT_FAILURE:
			return cur;
		case ZTBE_SELECT_OPTIMIZE:
			next = ztbe_best(links, n, false);
			bar = (u64)c->quality +
			      ztbe_div64((u64)c->quality * ZTBE_OPTIMIZE_MARGIN,
					 ZTBE_PPM);
			return next >= 0 && links[next].quality > bar ? next : cur;
		case ZTBE_SELECT_BETTER:
			if (c->primary)
				return cur;
			next = ztbe_best(links, n, true);
			return next >= 0 && links[next].quality > c->quality ?
			       next : cur;
		default:	/* always */
			if (c->primary)
				return cur;
			next = ztbe_best(links, n, true);
			return next >= 0 ? next : cur;
		}
	}

	/*
	 * failoverTo chains: a target that is not usable passes on to its
	 * own failoverTo, at most n hops (a loop ends there)
	 */
	if (cur >= 0) {
		int hops;

		next = links[cur].failover_to;
		for (hops = 0; next >= 0 && next < n && hops < n; hops++) {
			if (links[next].usable)
				return next;
			next = links[next].failover_to;
		}
	}

	next = ztbe_best(links, n, true);
	if (next < 0)
		next = ztbe_best(links, n, false);
	return next;
}

/*
 * none: ZeroTier's "no bonding" uses one path and never fails over. The
 * path is the first enabled link in enslave order; it carries traffic only
 * while it is usable.
 */
int ztbe_none_select(const struct ztbe_link_view *links, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (links[i].enabled)
			return links[i].usable ? i : -1;
	return -1;
}

/* The usable links in enslave order; returns how many were written. */
int ztbe_usable_set(const struct ztbe_link_view *links, int n, u8 *out)
{
	int i, k = 0;

	for (i = 0; i < n && i < ZTBE_MAX_LINKS; i++)
		if (links[i].usable)
			out[k++] = (u8)i;
	return k;
}

/*
 * balance-xor: each link that may carry traffic at all (enabled, or usable)
 * has a home range of buckets: bucket b belongs to the link
 * b * nhome / nbuckets of them, so each holds one contiguous range.
 * ztbe_bucket() takes the top bits of a Fibonacci hash, which spreads ids
 * that follow each other (the ephemeral ports of one host's connections)
 * evenly over the whole range: ranges give each link its part of such a
 * run, where "b mod n" would not (a run of even ports moves the bucket by
 * about 60, a multiple of 3 and 4).
 *
 * The buckets of a link that is not usable now go to the usable links in
 * turn: a lost link moves its own flows, spread over the others, and no
 * other flow; they come back with it. A bucket names an index into the
 * usable links in view order (ztbe_usable_set()), 0 when there is none.
 * Done here, once per change, so that the packet path needs a load, no
 * division.
 */
void ztbe_fill_buckets(u8 *buckets, int nbuckets,
		       const struct ztbe_link_view *links, int n)
{
	u8 home[ZTBE_MAX_LINKS], tx_of[ZTBE_MAX_LINKS];
	int i, b, nhome = 0, nusable = 0, orphans = 0;

	for (i = 0; i < n && i < ZTBE_MAX_LINKS; i++) {
		tx_of[i] = (u8)nusable;
		if (links[i].usable)
			nusable++;
		if (links[i].usable || links[i].enabled)
			home[nhome++] = (u8)i;
	}
	for (b = 0; b < nbuckets; b++) {
		const struct ztbe_link_view *l;

		if (!nusable) {
			buckets[b] = 0;
			continue;
		}
		l = &links[home[b * nhome / nbuckets]];
		if (l->usable)
			buckets[b] = tx_of[l - links];
		else
			buckets[b] = (u8)(orphans++ % nusable);
	}
}
