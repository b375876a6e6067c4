// SPDX-License-Identifier: GPL-2.0
/*
 * ztbond: the balance-rr reorder window, receive side
 * (Documentation/ztbond-protocol.rst, "Ordered DATA frames").
 *
 * With dataHeader, a ztbond running balance-rr sends each frame for a
 * ztbond peer in a DATA frame flagged ZTBE_WF_ORDERED and numbered in a
 * sequence of its own for that peer. Links differ in latency, so frames
 * arrive out of order; TCP takes that for loss. Here the frames of one
 * sending bond are delivered in sequence order: a frame that comes ahead
 * of a gap waits in a ring of ZTBOND_REORDER_WINDOW slots until the gap
 * fills, or is given up:
 *
 * - when every path of the sender (its links, each FIFO but for a little
 *   slack: frames numbered on two CPUs at once can swap on one link) has
 *   carried a frame ZTBOND_REORDER_SLACK later: then the missing one was
 *   lost;
 * - after reorderTimeout ms (a path went quiet, or the peer stopped);
 * - when a frame comes more than the window ahead.
 *
 * A frame whose gap was given up already is delivered when it comes
 * ("late"). Memory is bounded: ZTBOND_REORDER_PEERS senders (the least
 * recently heard one gives way) of ZTBOND_REORDER_WINDOW frames each.
 * One per-bond spinlock, taken by softirqs only (receive and the timers).
 */
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/jiffies.h>
#include <linux/bitmap.h>

#include "ztbond_priv.h"

#define ZTBOND_REORDER_MASK	(ZTBOND_REORDER_WINDOW - 1)
#define ZTBOND_REORDER_BEHIND_MASK	(ZTBOND_REORDER_BEHIND - 1)
#define ZTBOND_REORDER_SLACK	16
static_assert((ZTBOND_REORDER_WINDOW & ZTBOND_REORDER_MASK) == 0);
static_assert((ZTBOND_REORDER_BEHIND & ZTBOND_REORDER_BEHIND_MASK) == 0);

/*
 * Under the lock: r->next is done with, delivered or given up. Remembered
 * for ZTBOND_REORDER_BEHIND numbers, the furthest behind a frame can come
 * without restarting the window: only a given-up number may come late.
 */
static void ztbond_reorder_pass(struct ztbond_reorder *r, bool given_up)
{
	u32 bit = r->next & ZTBOND_REORDER_BEHIND_MASK;

	if (given_up)
		__set_bit(bit, r->given_up);
	else
		__clear_bit(bit, r->given_up);
	r->next++;
}

/* Under the lock: hand frame slot over to out, in order. */
static void ztbond_reorder_take(struct ztbond_reorder *r, u32 slot,
				struct sk_buff_head *out)
{
	__skb_queue_tail(out, r->ring[slot]);
	r->ring[slot] = NULL;
	r->held--;
}

/*
 * The lowest "highest sequence heard" over the sender's paths heard from
 * lately: every sequence number below it was either delivered, is held,
 * or is lost. 0 when no path counts.
 */
static u64 ztbond_reorder_floor(const struct ztbond_reorder *r,
				unsigned long quiet)
{
	unsigned long now = jiffies;
	u64 low = U64_MAX;
	int i;

	for (i = 0; i < ZTBOND_REORDER_PATHS; i++) {
		const struct ztbond_reorder_path *p = &r->path[i];

		if (p->ifindex && time_before(now, p->heard + quiet))
			low = min(low, p->max);
	}
	return low == U64_MAX ? 0 : low;
}

/* Deliver from r->next on while the ring has the frames or they are lost. */
static void ztbond_reorder_drain(struct ztbond *bond, struct ztbond_reorder *r,
				 unsigned long quiet, struct sk_buff_head *out)
{
	u64 floor = ztbond_reorder_floor(r, quiet), from = r->next;

	while (r->held) {
		u32 slot = r->next & ZTBOND_REORDER_MASK;

		if (r->ring[slot]) {
			ztbond_reorder_take(r, slot, out);
			ztbond_reorder_pass(r, false);
		} else if (r->next + ZTBOND_REORDER_SLACK < floor) {
			/* every path went well past it */
			bond->reorder_lost++;
			ztbond_reorder_pass(r, true);
		} else {
			break;
		}
	}
	/* a new gap at the head: the timeout counts from now */
	if (r->next != from)
		r->gap_since = jiffies;
}

/* Give up everything before seq: release what is held, count the gaps. */
static void ztbond_reorder_skip(struct ztbond *bond, struct ztbond_reorder *r,
				u64 to, struct sk_buff_head *out)
{
	u32 slot;

	/* the caller bounds to - next by the window */
	while (r->next < to) {
		slot = r->next & ZTBOND_REORDER_MASK;
		if (r->ring[slot]) {
			ztbond_reorder_take(r, slot, out);
			ztbond_reorder_pass(r, false);
		} else {
			bond->reorder_lost++;
			ztbond_reorder_pass(r, true);
		}
	}
}

/*
 * Release every held frame in order and start over at seq. What the paths
 * carried belongs to the old sequence: a sender that started over at 0
 * would otherwise find every gap of its new sequence below the old
 * paths' highest number, given up at once.
 */
static void ztbond_reorder_reset(struct ztbond_reorder *r, u64 seq,
				 struct sk_buff_head *out)
{
	u32 i, slot;

	for (i = 0; r->held && i < ZTBOND_REORDER_WINDOW; i++) {
		slot = (r->next + i) & ZTBOND_REORDER_MASK;
		if (r->ring[slot])
			ztbond_reorder_take(r, slot, out);
	}
	memset(r->path, 0, sizeof(r->path));
	/* what came before is unknown: anything behind may come late once */
	bitmap_fill(r->given_up, ZTBOND_REORDER_BEHIND);
	r->next = seq;
}

static void ztbond_reorder_path_heard(struct ztbond_reorder *r, u32 ifindex,
				      u64 seq)
{
	struct ztbond_reorder_path *p, *victim = &r->path[0];
	int i;

	for (i = 0; i < ZTBOND_REORDER_PATHS; i++) {
		p = &r->path[i];
		if (p->ifindex == ifindex)
			goto found;
		if (time_before(p->heard, victim->heard) || !p->ifindex)
			victim = p;
	}
	p = victim;
	p->ifindex = ifindex;
	p->max = seq;
found:
	p->heard = jiffies;
	if (seq > p->max)
		p->max = seq;
}

/* The sender's entry: its own, a free one, else the least recently used. */
static struct ztbond_reorder *ztbond_reorder_get(struct ztbond *bond, u64 id,
						 u64 seq,
						 struct sk_buff_head *out)
{
	struct ztbond_reorder *r, *victim = NULL;
	int i;

	for (i = 0; i < ZTBOND_REORDER_PEERS; i++) {
		r = &bond->reorder[i];
		if (r->used && r->id == id)
			return r;
		if (!victim || (victim->used &&
				(!r->used || time_before(r->used, victim->used))))
			victim = r;
	}
	r = victim;
	ztbond_reorder_reset(r, seq, out);
	r->id = id;
	return r;
}

/*
 * Receive handler, a decapsulated ordered DATA frame of sending bond id
 * with sequence seq from the sender's link ifindex. Returns the frame to
 * deliver now, or NULL; later frames it releases go to netif_rx(), which
 * keeps their order.
 */
struct sk_buff *ztbond_reorder_rx(struct ztbond *bond, u64 id, u64 seq,
				  u32 ifindex, struct sk_buff *skb)
{
	unsigned long timeout = msecs_to_jiffies(READ_ONCE(bond->cfg.reorder_timeout));
	struct sk_buff_head out;
	struct ztbond_reorder *r;
	struct sk_buff *first;
	u32 slot;

	__skb_queue_head_init(&out);
	spin_lock(&bond->reorder_lock);
	r = ztbond_reorder_get(bond, id, seq, &out);
	r->used = jiffies | 1;	/* 0 means free */

	/*
	 * Far behind or far ahead: the sender started over (a new sequence
	 * for us) or we lost track; follow it rather than hold everything.
	 */
	if (seq + ZTBOND_REORDER_BEHIND < r->next ||
	    seq >= r->next + 2 * ZTBOND_REORDER_WINDOW)
		ztbond_reorder_reset(r, seq, &out);
	ztbond_reorder_path_heard(r, ifindex, seq);

	if (seq < r->next) {
		/*
		 * Ordered frames skip the dedup window, so this is where a
		 * copy of a frame delivered already (or a replay of one:
		 * with a key too, the tag does not cover freshness) must
		 * stop; it went up a second time as "late" before. Only a
		 * number whose gap was given up is late, and only once.
		 */
		if (!__test_and_clear_bit(seq & ZTBOND_REORDER_BEHIND_MASK,
					  r->given_up)) {
			bond->reorder_dup++;
			kfree_skb(skb);
			goto release;
		}
		bond->reorder_late++;
		__skb_queue_tail(&out, skb);
		goto release;
	}
	if (seq >= r->next + ZTBOND_REORDER_WINDOW)
		ztbond_reorder_skip(bond, r, seq - ZTBOND_REORDER_WINDOW + 1, &out);
	slot = seq & ZTBOND_REORDER_MASK;
	if (r->ring[slot]) {			/* the same frame twice */
		bond->reorder_dup++;
		kfree_skb(skb);
		goto release;
	}
	if (seq != r->next)
		bond->reorder_held++;
	if (!r->held)
		r->gap_since = jiffies;
	r->ring[slot] = skb;
	r->held++;
	ztbond_reorder_drain(bond, r, timeout, &out);
	if (r->held && !timer_pending(&r->timer))
		mod_timer(&r->timer, jiffies + timeout);

release:
	spin_unlock(&bond->reorder_lock);
	first = __skb_dequeue(&out);
	while ((skb = __skb_dequeue(&out)))
		netif_rx(skb);
	return first;
}

/* The oldest gap waited reorderTimeout: give it up, deliver what follows. */
static void ztbond_reorder_timeout(struct timer_list *t)
{
	struct ztbond_reorder *r = from_timer(r, t, timer);
	struct ztbond *bond = r->bond;
	unsigned long timeout = msecs_to_jiffies(READ_ONCE(bond->cfg.reorder_timeout));
	struct sk_buff_head out;
	struct sk_buff *skb;

	__skb_queue_head_init(&out);
	spin_lock(&bond->reorder_lock);
	/*
	 * Armed for an older gap that has filled since: wait for the one at
	 * the head now (the timer is not moved per frame, only here).
	 */
	if (r->held && time_before(jiffies, r->gap_since + timeout)) {
		mod_timer(&r->timer, r->gap_since + timeout);
		goto unlock;
	}
	while (r->held && !r->ring[r->next & ZTBOND_REORDER_MASK]) {
		bond->reorder_lost++;
		ztbond_reorder_pass(r, true);
	}
	ztbond_reorder_drain(bond, r, timeout, &out);
	if (r->held)
		mod_timer(&r->timer, jiffies + timeout);
unlock:
	spin_unlock(&bond->reorder_lock);
	while ((skb = __skb_dequeue(&out)))
		netif_rx(skb);
}

int ztbond_reorder_init(struct ztbond *bond)
{
	int i;

	spin_lock_init(&bond->reorder_lock);
	bond->reorder = kcalloc(ZTBOND_REORDER_PEERS, sizeof(*bond->reorder),
				GFP_KERNEL);
	if (!bond->reorder)
		return -ENOMEM;
	for (i = 0; i < ZTBOND_REORDER_PEERS; i++) {
		bond->reorder[i].bond = bond;
		timer_setup(&bond->reorder[i].timer, ztbond_reorder_timeout, 0);
	}
	return 0;
}

/* ndo_uninit, after the links are gone: nothing receives any more. */
void ztbond_reorder_free(struct ztbond *bond)
{
	struct ztbond_reorder *r;
	int i, j;

	if (!bond->reorder)
		return;
	for (i = 0; i < ZTBOND_REORDER_PEERS; i++) {
		r = &bond->reorder[i];
		timer_shutdown_sync(&r->timer);
		for (j = 0; j < ZTBOND_REORDER_WINDOW; j++)
			kfree_skb(r->ring[j]);
	}
	kfree(bond->reorder);
	bond->reorder = NULL;
}

void ztbond_reorder_stats(struct ztbond *bond, struct ztbond_reorder_stats *s)
{
	spin_lock_bh(&bond->reorder_lock);
	s->held = bond->reorder_held;
	s->lost = bond->reorder_lost;
	s->late = bond->reorder_late;
	spin_unlock_bh(&bond->reorder_lock);
}
