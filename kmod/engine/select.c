// SPDX-License-Identifier: GPL-2.0
/*
 * ztbond engine: link selection for the static policies.
 *
 * Carrier-based for now: "usable" is what the kernel glue derived from
 * carrier, admin state, upDelay/downDelay and "enabled". The quality engine
 * will feed its own notion of usable and a score; the rules below are the
 * part of ZeroTier's documented behaviour that does not depend on quality.
 */
#include "engine.h"

static int ztbe_first(const struct ztbe_link_view *links, int n,
		      bool want_primary)
{
	int i;

	for (i = 0; i < n; i++)
		if (links[i].usable && (!want_primary || links[i].primary))
			return i;
	return -1;
}

/*
 * active-backup: choose the link that carries all traffic.
 *
 * With the cur link usable, "failure" keeps it; "always" returns to a
 * primary whenever one is usable. "better" and "optimize" switch only to a
 * strictly better link; until the quality engine provides scores the only
 * order known is ZeroTier's primary-over-spare handicap, so they behave as
 * "always". When the cur link fails, its failoverTo link is taken if
 * usable, then the first usable primary, then the first usable spare.
 */
int ztbe_ab_select(const struct ztbe_link_view *links, int n, int cur,
		   enum ztbe_select method)
{
	int next;

	if (cur >= n)
		cur = -1;

	if (cur >= 0 && links[cur].usable) {
		if (method == ZTBE_SELECT_FAILURE || links[cur].primary)
			return cur;
		next = ztbe_first(links, n, true);
		return next >= 0 ? next : cur;
	}

	if (cur >= 0) {
		next = links[cur].failover_to;
		if (next >= 0 && next < n && links[next].usable)
			return next;
	}

	next = ztbe_first(links, n, true);
	if (next < 0)
		next = ztbe_first(links, n, false);
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
 * balance-xor: bucket b goes to usable link b mod nusable. Done here, once
 * per change, so that the packet path needs a mask and a load, no division.
 */
void ztbe_fill_buckets(u8 *buckets, int nbuckets, int nusable)
{
	int b, l = 0;

	for (b = 0; b < nbuckets; b++) {
		buckets[b] = nusable > 0 ? (u8)l : 0;
		if (nusable > 0 && ++l == nusable)
			l = 0;
	}
}
