// SPDX-License-Identifier: GPL-2.0
/*
 * ztbond: the monitor. One delayed work per bond sends HELLO on every link
 * each second and a PROBE on every path each failoverInterval/4 (none with
 * monitorStrategy passive; with dynamic, none on a path whose DATA frames
 * were answered with an ECHO within failoverInterval/2), writes off probes
 * unanswered after failoverInterval, folds the loss the receive path
 * counted in DATA frames' sequences into the loss window, estimates each path's
 * metrics over its window, scores the links relative to the best, decides
 * which links are dead or over a quality maximum, and drains punishment.
 *
 * It never blocks on RTNL: verdicts that change a link's health are
 * applied through ztbond_links_eval() under rtnl_trylock(), retried on the
 * next tick when RTNL is busy (as bonding's monitors do). Path state is
 * shared with the receive handler under link->plock; the links list is
 * walked under RCU.
 */
#include <linux/netdevice.h>
#include <linux/etherdevice.h>
#include <linux/rtnetlink.h>
#include <linux/jiffies.h>
#include <linux/timekeeping.h>
#include <net/sch_generic.h>

#include "ztbond_priv.h"

#define ZTBOND_HELLO_NS		(1000ULL * NSEC_PER_MSEC)
/* a path not alive and not heard from for this long is forgotten */
#define ZTBOND_PATH_EXPIRE_NS	(60ULL * NSEC_PER_SEC)
/* loss ratios from fewer probes are noise: no verdict on them */
#define ZTBOND_MIN_PROBES	16
/* quality changes smaller than this do not rebuild the snapshot */
#define ZTBOND_QUALITY_HYST	20000

/* Scratch of one monitor run, per bond: too large for the stack. */
struct ztbond_mon_scratch {
	u32 m[ZTBOND_MAX_LINKS][ZTBE_M_COUNT];
	u32 q[ZTBOND_MAX_LINKS];
	struct ztbond_link *measured[ZTBOND_MAX_LINKS];
};

/*
 * How long ago t was. The receive path stamps paths with its own clock
 * reads, which can be later than the monitor's now, read before it took
 * the lock: such a stamp is of right now, not of 584 years ago.
 */
static u64 ztbond_age(u64 now, u64 t)
{
	return now > t ? now - t : 0;
}

u32 ztbond_link_fi(const struct ztbond_link *link)
{
	u32 v = READ_ONCE(link->cfg.failover_interval);

	return v != ZTBOND_INHERIT ? v :
				     READ_ONCE(link->bond->cfg.failover_interval);
}

void ztbond_link_monitor_init(struct ztbond_link *link)
{
	int i;

	spin_lock_init(&link->plock);
	/*
	 * Sequence numbers start at the wall clock in ns, so that they keep
	 * increasing across a restart of this host and peers' replay windows
	 * accept them at once.
	 */
	atomic64_set(&link->seq, ktime_get_real_ns());
	/* the same for the DATA sequences: a restart is a jump, not loss */
	for (i = 0; i < ZTBOND_MAX_PATHS; i++)
		atomic64_set(&link->ptx[i].seq, atomic64_read(&link->seq));
	atomic64_set(&link->ctl_tx, 0);
	link->best = -1;
	link->quality = ZTBE_PPM;
}

/* Link health as the state machine sees it: carrier and the probes' word. */
bool ztbond_link_healthy(const struct ztbond_link *link)
{
	return netif_running(link->dev) && netif_carrier_ok(link->dev) &&
	       !READ_ONCE(link->probe_dead) && !READ_ONCE(link->over_max);
}

/*
 * RTNL: the link just left the bond; ZeroTier's refractory period.
 * Returns true if the link is now punished.
 */
bool ztbond_link_punish(struct ztbond_link *link)
{
	const struct ztbond_cfg *c = &link->bond->cfg;

	spin_lock_bh(&link->plock);
	link->punish_ms = ztbe_punish_next(c->punish_base, link->punish_ms,
					   c->punish_max);
	link->punish_stamp_ns = ktime_get_ns();
	spin_unlock_bh(&link->plock);
	if (!link->punish_ms)
		return false;
	netdev_info(link->bond->dev, "link %s punished for %u ms\n",
		    link->dev->name, link->punish_ms);
	return true;
}

/*
 * RTNL, after a configuration change: punishments already served follow
 * the new rules (punishBase 0 ends them, a lower punishMax shortens them).
 */
void ztbond_punish_clamp(struct ztbond *bond)
{
	u32 cap = bond->cfg.punish_base ? bond->cfg.punish_max : 0;
	struct ztbond_link *link;

	list_for_each_entry(link, &bond->links, list) {
		spin_lock_bh(&link->plock);
		link->punish_ms = min(link->punish_ms, cap);
		spin_unlock_bh(&link->plock);
	}
}

u32 ztbond_link_punish_left(struct ztbond_link *link)
{
	u32 left;

	spin_lock_bh(&link->plock);
	left = link->punish_ms;
	spin_unlock_bh(&link->plock);
	return left;
}

/* Under plock: one round trip of ns. */
static void ztbond_path_rtt(struct ztbond_path *path, u64 ns)
{
	u64 us = div_u64(ns, NSEC_PER_USEC);

	path->rtt[path->rtt_head] = us > U32_MAX ? U32_MAX : (u32)us;
	path->rtt_head = (path->rtt_head + 1) % ZTBOND_RTT_SAMPLES;
	if (path->rtt_n < ZTBOND_RTT_SAMPLES)
		path->rtt_n++;
}

/* Under plock, from the receive handler: a PROBE_REPLY for path. */
bool ztbond_path_reply(struct ztbond_link *link, struct ztbond_path *path,
		       u32 seq, u64 sent_ns, u64 now)
{
	struct ztbond_probe_slot *s = &path->probe[seq % ZTBOND_PROBE_SLOTS];

	/* the timestamp is ours, so it doubles as a nonce */
	if (!s->open || s->seq != seq || s->sent_ns != sent_ns || now < sent_ns)
		return false;
	s->open = false;
	ztbond_path_rtt(path, now - sent_ns);
	ztbe_window_push(&path->loss, false);
	path->last_reply_ns = now;
	return true;
}

/*
 * Under plock, from the receive handler: an ECHO of the DATA frame we sent
 * on path with sequence seq. The send time was stamped by the transmit
 * path without a lock (data.c): seq is cleared, the time written, then seq
 * set, so a slot whose seq reads the same before and after the time was
 * not rewritten in between. An ECHO whose slot was reused (more than
 * ZTBOND_ECHO_SLOTS stamped frames in flight) gives no sample. Loss is
 * not counted here: the peer measures it from the sequence.
 */
bool ztbond_path_echo(struct ztbond_link *link, struct ztbond_path *path,
		      u64 seq, u64 now)
{
	struct ztbond_path_tx *ptx = &link->ptx[path - link->paths];
	struct ztbond_echo_slot *s;
	u64 sent;

	s = &ptx->echo[(seq >> ZTBOND_ECHO_SHIFT) & (ZTBOND_ECHO_SLOTS - 1)];
	if (!seq || READ_ONCE(s->seq) != seq)
		return false;
	smp_rmb();	/* seq, then the time it guards */
	sent = READ_ONCE(s->sent_ns);
	smp_rmb();	/* the time, then seq again: not rewritten meanwhile */
	if (READ_ONCE(s->seq) != seq || now < sent)
		return false;
	WRITE_ONCE(s->seq, 0);	/* one sample per stamp */
	ztbond_path_rtt(path, now - sent);
	path->last_reply_ns = now;
	path->last_echo_ns = now;
	link->echo_rx++;
	return true;
}

struct ztbond_probe_tx {
	u8 mac[ETH_ALEN];
	u32 seq;
};

/* Under plock: write off late probes, estimate, decide alive. */
static void ztbond_path_tick(struct ztbond_link *link, struct ztbond_path *p,
			     u8 monitor, u64 fi_ns, u64 now)
{
	u64 base, limit;
	bool alive;
	int i;

	/*
	 * Loss is what a working path loses: once a path is dead its
	 * unanswered probes count against its availability, not its loss
	 * ratio, or an outage would keep it over the loss maximum long after
	 * it healed. That holds for a probe sent while the path was dead
	 * and written off after a later reply revived it: the probe sent as
	 * the carrier returns may find the peer's end not ready, and two
	 * such in a fresh window read as 10% loss.
	 */
	for (i = 0; i < ZTBOND_PROBE_SLOTS; i++) {
		struct ztbond_probe_slot *s = &p->probe[i];

		if (s->open && now - s->sent_ns > fi_ns) {
			s->open = false;
			if (s->live && p->alive)
				ztbe_window_push(&p->loss, true);
		}
	}

	/*
	 * DATA frames the receive path counted: received ones are good
	 * outcomes, sequence numbers that never came are losses of the
	 * direction peer -> us (the receiver measures what it receives).
	 */
	if (p->rxseq.rx || p->rxseq.lost) {
		ztbe_window_fold(&p->loss, p->rxseq.rx, p->rxseq.lost);
		link->data_lost += p->rxseq.lost;
		p->rxseq.rx = 0;
		p->rxseq.lost = 0;
	}

	/*
	 * Without probes (passive) HELLO, once a second, and DATA frames say
	 * that the peer's link reaches us; otherwise a reply (to a PROBE or
	 * a DATA frame's ECHO request) within failoverInterval.
	 */
	if (monitor == ZTBOND_MONITOR_PASSIVE) {
		base = max3(p->last_hello_ns, p->last_data_ns, p->born_ns);
		limit = max(fi_ns, 3 * ZTBOND_HELLO_NS);
	} else {
		base = max(p->last_reply_ns, p->born_ns);
		limit = fi_ns;
	}
	alive = base > p->cut_ns && ztbond_age(now, base) < limit;
	/* the remote table pairs links over live paths: re-pair */
	if (alive != p->alive)
		WRITE_ONCE(link->bond->paths_changed, true);
	p->alive = alive;
	ztbe_window_push(&p->avail, !p->alive);

	ztbe_rtt_stats(p->rtt, p->rtt_n, &p->m[ZTBE_M_LAT], &p->m[ZTBE_M_LTM],
		       &p->m[ZTBE_M_PDV]);
	p->m[ZTBE_M_PLR] = ztbe_window_ppm(&p->loss);
	p->m[ZTBE_M_PER] = ztbe_window_ppm(&p->errors);
	p->m[ZTBE_M_AVL] = ztbe_window_ppm(&p->avail);
}

/*
 * One link: HELLO and PROBEs when due, path estimation, punishment drain.
 * Returns the time (ns) the link next needs the monitor.
 */
static u64 ztbond_monitor_link(struct ztbond *bond, struct ztbond_link *link,
			       u64 now)
{
	struct ztbond_probe_tx tx[ZTBOND_MAX_PATHS];
	u8 monitor = READ_ONCE(bond->cfg.monitor);
	u64 fi_ns = (u64)ztbond_link_fi(link) * NSEC_PER_MSEC;
	bool up = netif_running(link->dev) && netif_carrier_ok(link->dev);
	bool hello = false, probe = false;
	int i, ntx = 0, best = -1;
	u64 next;

	if (now >= link->next_hello_ns) {
		hello = up;
		link->next_hello_ns = now + ZTBOND_HELLO_NS;
	}
	if (now >= link->next_probe_ns) {
		probe = up && monitor != ZTBOND_MONITOR_PASSIVE;
		link->next_probe_ns = now + div_u64(fi_ns, 4);
	}

	spin_lock_bh(&link->plock);
	for (i = 0; i < ZTBOND_MAX_PATHS; i++) {
		struct ztbond_path *p = &link->paths[i];
		struct ztbond_probe_slot *s;

		if (!p->used)
			continue;
		if (!p->alive &&
		    ztbond_age(now, max(p->last_hello_ns, p->born_ns)) >
		    ZTBOND_PATH_EXPIRE_NS) {
			p->used = false;
			WRITE_ONCE(link->bond->paths_changed, true);
			continue;
		}
		/*
		 * dynamic: a path whose DATA frames were answered lately is
		 * measured by traffic; no probe (ztbe_dynamic_probe())
		 */
		if (probe &&
		    (monitor != ZTBOND_MONITOR_DYNAMIC ||
		     ztbe_dynamic_probe(p->last_echo_ns, now, fi_ns))) {
			p->probe_seq++;
			s = &p->probe[p->probe_seq % ZTBOND_PROBE_SLOTS];
			if (s->open && s->live && p->alive)
				ztbe_window_push(&p->loss, true);
			s->seq = p->probe_seq;
			s->sent_ns = now;
			s->open = true;
			s->live = p->alive;
			ether_addr_copy(tx[ntx].mac, p->peer_mac);
			tx[ntx++].seq = p->probe_seq;
		}
		ztbond_path_tick(link, p, monitor, fi_ns, now);
		/* the best path: alive, then lowest mean RTT */
		if (p->alive && (best < 0 || !link->paths[best].rtt_n ||
				 (p->rtt_n && p->m[ZTBE_M_LAT] <
					      link->paths[best].m[ZTBE_M_LAT])))
			best = i;
	}
	link->best = best;

	/* punishment fades only while the link behaves */
	if (link->punish_ms && ztbond_link_healthy(link)) {
		u64 ms = div_u64(now - link->punish_stamp_ns, NSEC_PER_MSEC);

		link->punish_ms -= min_t(u64, ms, link->punish_ms);
		link->punish_stamp_ns += ms * NSEC_PER_MSEC;
	} else {
		link->punish_stamp_ns = now;
	}
	spin_unlock_bh(&link->plock);

	if (hello)
		ztbond_proto_send_hello(link);
	for (i = 0; i < ntx; i++)
		ztbond_proto_send_probe(link, tx[i].mac, tx[i].seq, now);

	next = link->next_hello_ns;
	if (monitor != ZTBOND_MONITOR_PASSIVE || link->punish_ms)
		next = min(next, link->next_probe_ns);
	return next;
}

/* Is the bond id alive on some other link of the bond? Under RCU. */
static bool ztbond_peer_alive_elsewhere(struct ztbond *bond,
					struct ztbond_link *self, u64 id)
{
	struct ztbond_link *link;
	int i;

	list_for_each_entry_rcu(link, &bond->links, list) {
		if (link == self)
			continue;
		for (i = 0; i < ZTBOND_MAX_PATHS; i++)
			if (READ_ONCE(link->paths[i].used) &&
			    READ_ONCE(link->paths[i].alive) &&
			    READ_ONCE(link->paths[i].peer_id) == id)
				return true;
	}
	return false;
}

/*
 * A link whose paths are all silent is dead only if a peer it used to
 * reach is still heard on another link: the overlay behind this link is
 * broken, not the peer gone. When the peer is gone everywhere, carrier
 * decides again, as for a link without ztbond peers (a hub's clients).
 */
static bool ztbond_link_probe_dead(struct ztbond *bond, struct ztbond_link *link)
{
	bool any = false;
	int i;

	for (i = 0; i < ZTBOND_MAX_PATHS; i++) {
		const struct ztbond_path *p = &link->paths[i];

		if (!p->used)
			continue;
		if (p->alive)
			return false;
		any = true;
	}
	if (!any)
		return false;
	for (i = 0; i < ZTBOND_MAX_PATHS; i++)
		if (link->paths[i].used &&
		    ztbond_peer_alive_elsewhere(bond, link, link->paths[i].peer_id))
			return true;
	return false;
}

/*
 * RTNL: the link left the bond for want of carrier. Nothing crossed it
 * since, so its paths are dead from now on, not failoverInterval after
 * their last reply, and the link is back only once its peer is heard
 * again (ztbond_path_tick() wants a sign of life after cut_ns). Were it
 * readmitted on the replies from before a loss shorter than
 * failoverInterval, the first probe after the return could come too late
 * to renew them: the link would leave again, carrier up, as a failed
 * link, and be punished for what was one carrier loss. Probes still open
 * were lost with the carrier: they count against nothing.
 */
void ztbond_link_cut(struct ztbond_link *link)
{
	u64 now = ktime_get_ns();
	int i, j;

	spin_lock_bh(&link->plock);
	for (i = 0; i < ZTBOND_MAX_PATHS; i++) {
		struct ztbond_path *p = &link->paths[i];

		if (!p->used)
			continue;
		if (p->alive)
			WRITE_ONCE(link->bond->paths_changed, true);
		p->alive = false;
		p->cut_ns = now;
		/* monitorStrategy dynamic: no traffic measures it now */
		p->last_echo_ns = 0;
		for (j = 0; j < ZTBOND_PROBE_SLOTS; j++)
			p->probe[j].open = false;
	}
	spin_unlock_bh(&link->plock);
	rcu_read_lock();
	WRITE_ONCE(link->probe_dead, ztbond_link_probe_dead(link->bond, link));
	rcu_read_unlock();
}

/*
 * Scores and verdicts over all links. Returns true if a link's health
 * changed (the state machine must run); *requality says that relative
 * qualities moved enough to matter to a quality-driven selection.
 */
static bool ztbond_monitor_verdicts(struct ztbond *bond, bool *requality)
{
	struct ztbond_mon_scratch *sc = bond->mon;
	const struct ztbe_qparams *qp = &bond->cfg.qp;
	struct ztbond_link *link;
	bool changed = false;
	int n = 0, i;

	list_for_each_entry_rcu(link, &bond->links, list) {
		bool dead, over = false;

		spin_lock_bh(&link->plock);
		if (link->best >= 0 && link->paths[link->best].rtt_n &&
		    n < ZTBOND_MAX_LINKS) {
			const struct ztbond_path *p = &link->paths[link->best];

			memcpy(sc->m[n], p->m, sizeof(sc->m[n]));
			sc->measured[n++] = link;
			over = p->loss.count >= ZTBOND_MIN_PROBES &&
			       ztbe_over_max(p->m, qp);
		}
		spin_unlock_bh(&link->plock);

		dead = ztbond_link_probe_dead(bond, link);
		if (dead != link->probe_dead || over != link->over_max) {
			WRITE_ONCE(link->probe_dead, dead);
			WRITE_ONCE(link->over_max, over);
			changed = true;
		}
		/* punishment served: the state machine readmits the link */
		if (link->state == ZTBOND_LINK_STATE_PUNISHED && !link->punish_ms)
			changed = true;
	}

	ztbe_quality(&sc->m[0][0], n, qp, sc->q);
	list_for_each_entry_rcu(link, &bond->links, list) {
		u32 q = ZTBE_PPM;

		for (i = 0; i < n; i++)
			if (sc->measured[i] == link)
				q = sc->q[i];
		/*
		 * against what the snapshot was built with, not the last run:
		 * a slow drift adds up until it counts
		 */
		if (abs((int)q - (int)READ_ONCE(link->quality_built)) >
		    ZTBOND_QUALITY_HYST)
			*requality = true;
		WRITE_ONCE(link->quality, q);
	}
	return changed;
}

/* frames in a link's qdiscs that make a queue (see ztbond_link_busy()) */
#define ZTBOND_CAP_QLEN		2

/*
 * Was the link busy since the last sample? Frames were dropped on the way
 * for want of room: by our transmit (its qdisc refused them) or by the
 * device itself (a tap whose reader, zerotier-one, fell behind); or a
 * queue stands in front of it now: its transmit queues' qdiscs hold at
 * least ZTBOND_CAP_QLEN frames, i.e. frames wait behind the one being
 * sent (one alone is a frame in service, or a delay line such as netem's
 * at a low rate). Only then is what it carried what it can carry.
 */
static bool ztbond_link_busy(struct ztbond_link *link, u64 drops)
{
	struct net_device *dev = link->dev;
	unsigned int i;

	if (drops != link->cap_drops)
		return true;
	for (i = 0; i < dev->real_num_tx_queues; i++) {
		struct Qdisc *q = rcu_dereference(netdev_get_tx_queue(dev, i)->qdisc);

		if (q && qdisc_qlen_sum(q) >= ZTBOND_CAP_QLEN)
			return true;
	}
	return false;
}

/*
 * Once a second, under rcu_read_lock(): a capacity sample of every link
 * (engine/aware.c: the rate of busy seconds, the largest of the last 16).
 * Only a second the link carried the bond's traffic throughout counts:
 * without carrier every frame is dropped, and a down link gets HELLOs and
 * probes only, so its drops say nothing of room, and the few bytes it
 * sent around a carrier loss made an estimate of a few kbit/s that
 * starved it of flows for 16 s after its return.
 * Returns true if an estimate moved by more than an eighth from what the
 * snapshot was built with, or became known or unknown.
 */
static bool ztbond_capacity_tick(struct ztbond *bond, u64 now)
{
	struct ztbond_link *link;
	bool moved = false;

	list_for_each_entry_rcu(link, &bond->links, list) {
		struct rtnl_link_stats64 st;
		struct ztbond_stats zs;
		u32 est, built, failures = READ_ONCE(link->failures);
		bool ok, carried;
		u64 drops;

		dev_get_stats(link->dev, &st);
		ztbond_stats_read(link->stats, &zs);
		drops = st.tx_dropped + zs.tx_dropped;
		ok = ztbond_link_usable(link) && netif_carrier_ok(link->dev);
		/* up at both ends and no failure between */
		carried = ok && link->cap_ok && failures == link->cap_failures;
		if (link->cap_ns)
			ztbe_cap_sample(&link->cap, st.tx_bytes - link->cap_bytes,
					now - link->cap_ns,
					carried && ztbond_link_busy(link, drops));
		link->cap_bytes = st.tx_bytes;
		link->cap_drops = drops;
		link->cap_ns = now;
		link->cap_ok = ok;
		link->cap_failures = failures;
		est = ztbe_cap_estimate(&link->cap);
		WRITE_ONCE(link->capacity_kbps, est);
		built = READ_ONCE(link->cap_built);
		if (!est != !built || abs((s64)est - (s64)built) > built / 8)
			moved = true;
	}
	return moved;
}

static void ztbond_monitor_work(struct work_struct *work)
{
	struct ztbond *bond = container_of(to_delayed_work(work), struct ztbond,
					   monitor_work);
	u64 now = ktime_get_ns(), next = now + ZTBOND_HELLO_NS;
	struct ztbond_link *link;
	bool requality = false;
	u8 sel;

	if (READ_ONCE(bond->monitor_stop))
		return;

	rcu_read_lock();
	list_for_each_entry_rcu(link, &bond->links, list)
		next = min(next, ztbond_monitor_link(bond, link, now));
	if (ztbond_monitor_verdicts(bond, &requality))
		bond->monitor_pending = true;
	rcu_read_unlock();

	if (now >= bond->aware_next_ns) {
		bond->aware_next_ns = now + ZTBOND_HELLO_NS;
		rcu_read_lock();
		/* automatic allocation follows the capacities */
		if (ztbond_capacity_tick(bond, now) && ztbond_aware_used(bond))
			bond->monitor_pending = true;
		if (ztbond_aware_used(bond))
			ztbond_aware_tick(bond, true);
		rcu_read_unlock();
		ztbond_notify_again(bond);
	}

	/*
	 * qualities moved: selections and shares that depend on them follow
	 * (a peer's policy may depend on them too)
	 */
	sel = READ_ONCE(bond->cfg.link_select);
	if (requality &&
	    ((READ_ONCE(bond->cfg.policy) == ZTBOND_POLICY_ACTIVE_BACKUP &&
	      (sel == ZTBOND_SELECT_BETTER || sel == ZTBOND_SELECT_OPTIMIZE)) ||
	     ztbond_aware_used(bond) || READ_ONCE(bond->npeers)))
		bond->monitor_pending = true;

	/*
	 * new, forgotten, dead or revived remote links: the remote table
	 * (per-path addressing, DATA frames) and peer policies follow them
	 */
	if (READ_ONCE(bond->paths_changed)) {
		WRITE_ONCE(bond->paths_changed, false);
		bond->monitor_pending = true;
	}

	if (bond->monitor_pending) {
		if (rtnl_trylock()) {
			bond->monitor_pending = false;
			ztbond_links_eval(bond);
			ztbond_rebuild(bond);
			rtnl_unlock();
		} else {
			next = now;	/* retry a tick later */
		}
	}

	if (!READ_ONCE(bond->monitor_stop) && !list_empty(&bond->links))
		mod_delayed_work(system_wq, &bond->monitor_work,
				 max_t(unsigned long, 1,
				       nsecs_to_jiffies(next > now ? next - now : 0)));
}

int ztbond_monitor_init(struct ztbond *bond)
{
	INIT_DELAYED_WORK(&bond->monitor_work, ztbond_monitor_work);
	get_random_bytes(&bond->id, sizeof(bond->id));
	bond->mon = kzalloc(sizeof(*bond->mon), GFP_KERNEL);
	return bond->mon ? 0 : -ENOMEM;
}

void ztbond_monitor_free(struct ztbond *bond)
{
	kfree(bond->mon);
	bond->mon = NULL;
}

/*
 * Run the monitor now (a link came, the configuration changed). RTNL.
 * Live paths get a new grace period: they were probed at the old rate, and
 * a shorter failoverInterval must not declare them dead before the new
 * rate had a chance to answer. Dead paths stay dead.
 */
void ztbond_monitor_kick(struct ztbond *bond)
{
	struct ztbond_link *link;
	u64 now = ktime_get_ns();
	int i;

	if (bond->monitor_stop)
		return;
	list_for_each_entry(link, &bond->links, list) {
		link->next_hello_ns = link->next_probe_ns = 0;
		spin_lock_bh(&link->plock);
		for (i = 0; i < ZTBOND_MAX_PATHS; i++)
			if (link->paths[i].used && link->paths[i].alive)
				link->paths[i].born_ns = now;
		spin_unlock_bh(&link->plock);
	}
	mod_delayed_work(system_wq, &bond->monitor_work, 0);
}

/*
 * RTNL: the carrier of a link whose paths are dead came back. Probe it in
 * a run of the monitor now rather than at its next turn, a quarter of
 * failoverInterval away at most: the link returns with the first reply.
 */
void ztbond_monitor_probe_link(struct ztbond *bond, struct ztbond_link *link)
{
	if (bond->monitor_stop)
		return;
	link->next_probe_ns = 0;
	mod_delayed_work(system_wq, &bond->monitor_work, 0);
}

/* Before the bond goes away. RTNL; the work never blocks on RTNL. */
void ztbond_monitor_stop(struct ztbond *bond)
{
	WRITE_ONCE(bond->monitor_stop, true);
	cancel_delayed_work_sync(&bond->monitor_work);
}
