/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ztbond: private definitions shared by the files of the module.
 *
 * Locking: every control operation (netlink, rtnl_link ops, netdevice
 * notifier, the state timer) runs under RTNL; RTNL is the only lock of the
 * control path. The packet path takes no lock: it reads one RCU-published
 * struct ztbond_snap and updates per-CPU counters.
 */
#ifndef _ZTBOND_PRIV_H
#define _ZTBOND_PRIV_H

#include <linux/netdevice.h>
#include <linux/etherdevice.h>
#include <linux/u64_stats_sync.h>
#include <linux/workqueue.h>
#include <linux/spinlock.h>
#include <linux/siphash.h>
#include <linux/ztbond.h>

#include "engine/engine.h"

#define ZTBOND_KIND		"ztbond"
/* Slots of the receive address table: twice the links keeps probes short. */
#define ZTBOND_MAC_SLOTS	(2 * ZTBOND_MAX_LINKS)

struct ztbond;
struct ztbond_snap;
struct ztbond_mon_scratch;
struct ztbond_flow_table;
struct ztbond_peer_tab;
struct ztbond_remote_tab;

struct ztbond_pcpu_stats {
	u64_stats_t tx_packets;
	u64_stats_t tx_bytes;
	u64_stats_t rx_packets;
	u64_stats_t rx_bytes;
	u64_stats_t tx_dropped;
	u64_stats_t rx_dropped;
	struct u64_stats_sync syncp;
};

struct ztbond_stats {
	u64 tx_packets, tx_bytes, rx_packets, rx_bytes, tx_dropped, rx_dropped;
};

/*
 * Per-CPU counters, one writer per CPU; readers sum them with u64_stats
 * (ztbond_stats_read). Inline, as the core's dev_sw_netstats_tx_add():
 * every frame updates two of them, the bond's and its link's. This one
 * counts one frame at pkts (and len bytes at bytes, if given).
 */
static inline void ztbond_stats_one(struct ztbond_pcpu_stats *p,
				    u64_stats_t *pkts, u64_stats_t *bytes,
				    unsigned int len)
{
	u64_stats_update_begin(&p->syncp);
	u64_stats_inc(pkts);
	if (bytes)
		u64_stats_add(bytes, len);
	u64_stats_update_end(&p->syncp);
}

static inline void ztbond_stats_add_tx(struct ztbond_pcpu_stats __percpu *s,
				       unsigned int len)
{
	struct ztbond_pcpu_stats *p = this_cpu_ptr(s);

	ztbond_stats_one(p, &p->tx_packets, &p->tx_bytes, len);
}

static inline void ztbond_stats_add_rx(struct ztbond_pcpu_stats __percpu *s,
				       unsigned int len)
{
	struct ztbond_pcpu_stats *p = this_cpu_ptr(s);

	ztbond_stats_one(p, &p->rx_packets, &p->rx_bytes, len);
}

static inline void
ztbond_stats_add_tx_drop(struct ztbond_pcpu_stats __percpu *s)
{
	struct ztbond_pcpu_stats *p = this_cpu_ptr(s);

	ztbond_stats_one(p, &p->tx_dropped, NULL, 0);
}

static inline void
ztbond_stats_add_rx_drop(struct ztbond_pcpu_stats __percpu *s)
{
	struct ztbond_pcpu_stats *p = this_cpu_ptr(s);

	ztbond_stats_one(p, &p->rx_dropped, NULL, 0);
}

/* Per-link configuration: ZeroTier's per-link keys. */
struct ztbond_link_cfg {
	u8 mode;			/* enum ztbond_link_mode */
	bool enabled;
	u8 ipv_pref;
	u32 speed;
	u32 alloc_ppm;
	char failover_to[IFNAMSIZ];	/* by name: taps come and go */
	/* ZTBOND_INHERIT: the bond's value */
	u32 up_delay;
	u32 down_delay;
	u32 failover_interval;
};

/* Remote ztbond links one link has heard HELLO from: bounded, no allocation. */
#define ZTBOND_MAX_PATHS	8
#define ZTBOND_RTT_SAMPLES	64	/* ZeroTier: mean of the last 64 */
#define ZTBOND_PROBE_SLOTS	16	/* probes in flight per path */

struct ztbond_probe_slot {
	u32 seq;
	bool open;		/* sent, neither answered nor written off */
	bool live;		/* sent while the path was alive: may be loss */
	u64 sent_ns;
};

/*
 * DATA frames a link sends on one of its paths (transmit, lockless): the
 * path's own sequence (the receiver measures loss from its gaps) and the
 * send times of the frames that ask for an ECHO, one in
 * 1 << ZTBOND_ECHO_SHIFT, the last ZTBOND_ECHO_SLOTS of them.
 */
#define ZTBOND_ECHO_SHIFT	4	/* ZeroTier's sampling: 1 in 16 */
#define ZTBOND_ECHO_SLOTS	16	/* 256 frames in flight */

struct ztbond_echo_slot {
	u64 seq;		/* 0 = none; written last (see data.c) */
	u64 sent_ns;
};

struct ztbond_path_tx {
	atomic64_t seq;
	struct ztbond_echo_slot echo[ZTBOND_ECHO_SLOTS];
};

/*
 * A path: (this link, one remote ztbond link). Written by the receive
 * handler (softirq) and the monitor work under link->plock.
 */
struct ztbond_path {
	bool used;
	u8 peer_mac[ETH_ALEN];		/* remote link MAC */
	u8 peer_bond_mac[ETH_ALEN];
	u16 peer_index;
	u64 peer_id;			/* remote bond id */
	u32 peer_caps;			/* ZTBE_CAP_* of its last HELLO */
	u64 born_ns;
	u64 last_hello_ns;
	u64 last_reply_ns;
	struct ztbe_replay replay;
	u32 probe_seq;
	struct ztbond_probe_slot probe[ZTBOND_PROBE_SLOTS];
	u32 rtt[ZTBOND_RTT_SAMPLES];	/* us, ring */
	u8 rtt_head;
	u8 rtt_n;
	struct ztbe_window loss;	/* probe outcomes */
	struct ztbe_window avail;	/* monitor ticks: alive or not */
	struct ztbe_window errors;	/* control frames from the peer MAC */
	struct ztbe_seqtrack rxseq;	/* DATA frames from the peer: loss */
	u64 last_data_ns;		/* DATA frame heard (coarse clock) */
	u64 last_echo_ns;		/* ECHO matched: traffic measures the path */
	u64 cut_ns;			/* carrier lost: alive only if heard after */
	/* the monitor's last estimate */
	u32 m[ZTBE_M_COUNT];
	bool alive;
};

struct ztbond_link {
	struct list_head list;		/* bond->links, RTNL */
	struct net_device *dev;
	struct ztbond *bond;
	struct ztbond_pcpu_stats __percpu *stats;
	struct ztbond_link_cfg cfg;
	u8 state;			/* enum ztbond_link_state */
	bool opened;			/* we brought it up: close on release */
	bool had_no_addrconf;		/* IFF_NO_ADDRCONF before enslaving */
	unsigned long deadline;		/* jiffies: end of up/down delay */
	u32 failures;
	bool eligible;			/* as last announced (LINK_ELIGIBLE) */
	struct rcu_head rcu;

	/* quality engine (monitor.c, proto.c) */
	spinlock_t plock;		/* paths, windows, counters below */
	struct ztbond_path paths[ZTBOND_MAX_PATHS];
	u64 ctl_rx, ctl_bad, ctl_auth_fail, ctl_replay;
	atomic64_t ctl_tx;		/* not under plock: senders race */
	atomic64_t seq;			/* sequence of control frames we send */
	/* DATA frames we send, per path (index of paths[]), lockless */
	struct ztbond_path_tx ptx[ZTBOND_MAX_PATHS];
	atomic64_t probe_tx;		/* PROBEs sent */
	u64 echo_rx;			/* ECHOs matched: RTT samples (plock) */
	u64 data_lost;			/* DATA sequence numbers lost (plock) */
	u64 next_probe_ns;
	u64 next_hello_ns;
	/* monitor verdicts, written by the monitor work, read under RTNL */
	bool probe_dead;		/* paths silent while the peer is alive elsewhere */
	bool over_max;			/* best path over a quality maximum */
	u32 quality;			/* relative, ppm */
	u32 quality_built;		/* what the snapshot was built with */
	int best;			/* index of the best path, -1 = none */
	u32 punish_ms;			/* punishment left */
	u64 last_fail_ns;		/* last carrier failure: flap detection */
	u64 punish_stamp_ns;		/* when punish_ms was last drained */
	u8 id;				/* stable index in the bond, 0..63 */
	u32 share;			/* allocated share of traffic, ppm (RTNL) */
	/* measured capacity (monitor work, once a second) */
	struct ztbe_cap cap;
	u64 cap_bytes, cap_drops, cap_ns;	/* at the last sample */
	u32 cap_failures;			/* failures then */
	bool cap_ok;			/* carrying then */
	u32 capacity_kbps;		/* estimate, 0 = not known */
	u32 cap_built;			/* what the snapshot was built with */
};

/* Bond-wide configuration: ZeroTier's policy keys. */
struct ztbond_cfg {
	u8 policy;			/* enum ztbond_policy */
	u8 link_select;			/* enum ztbond_select */
	u32 packets_per_link;
	u32 failover_interval;
	u32 up_delay;
	u32 down_delay;
	u8 monitor;			/* enum ztbond_monitor */
	u8 balance;			/* enum ztbond_balance */
	u32 flow_max;			/* balance-aware flow table entries */
	u32 flow_expire;		/* ms an idle flow keeps its entry */
	u32 punish_base;		/* ms */
	u32 punish_max;			/* ms */
	struct ztbe_qparams qp;
	bool qw_default;		/* qp.weight is the policy's default */
	bool auth;
	siphash_key_t auth_key;
	bool dedup;			/* broadcast: DATA frames, drop copies */
	bool data_header;		/* balance-rr: ordered DATA frames */
	u32 reorder_timeout;		/* ms, receive */
	char policy_name[ZTBOND_POLICY_NAME_MAX];
};

/*
 * A peer with its own policy (peerSpecificBonds), RTNL. Entries with the
 * same policy parameters share one selection (group) in the snapshot.
 */
struct ztbond_peer_cfg {
	u8 mac[ETH_ALEN];
	u8 policy;			/* enum ztbond_policy */
	u8 link_select;
	u8 balance;			/* enum ztbond_balance */
	u32 packets_per_link;
	char policy_name[ZTBOND_POLICY_NAME_MAX];
	u8 group;			/* 0..ZTBOND_MAX_PEER_POLICIES-1 */
};

/* Consumes skb; returns true if it went out on at least one link. */
typedef bool (*ztbond_xmit_fn)(struct ztbond *bond,
			       const struct ztbond_snap *snap,
			       struct sk_buff *skb);

/* One mode: how to fill a snapshot, how to transmit with it. */
struct ztbond_policy_ops {
	const char *name;
	/* default quality weights (ppm, engine metric order) */
	u32 qweight[ZTBE_M_COUNT];
	/* fill snap->tx[] and snap->ntx from the link views */
	void (*build)(struct ztbond *bond, struct ztbond_snap *snap,
		      const struct ztbe_link_view *views,
		      struct ztbond_link **links, int n);
	ztbond_xmit_fn xmit;
};

/*
 * Everything the packet path reads, published with RCU and never changed
 * once published. A policy with nothing usable publishes a snapshot whose
 * xmit drops, so the hot path never tests for "no links".
 */
struct ztbond_snap {
	struct rcu_head rcu;
	ztbond_xmit_fn xmit;
	u32 ntx;
	u32 packets_per_link;
	struct ztbond_link *tx[ZTBOND_MAX_LINKS];
	u8 bucket[ZTBE_BUCKETS];		/* balance-xor: index into tx[] */
	u8 nmacs;
	u8 mac[ZTBOND_MAC_SLOTS][ETH_ALEN];	/* link MACs, open addressing */
	bool mac_used[ZTBOND_MAC_SLOTS];
	/* balance-aware */
	struct ztbond_flow_table *ft;		/* owned by the bond, RCU */
	s8 tx_of_id[ZTBOND_MAX_LINKS];		/* link id -> index in tx[], -1 */
	u32 share[ZTBOND_MAX_LINKS];		/* per tx[] index, ppm */
	u8 wseq[ZTBE_WSEQ];			/* packet mode: tx[] indices */
	/* control protocol: read by the receive handler */
	u64 bond_id;
	bool auth;
	siphash_key_t auth_key;
	/* peerSpecificBonds: NULL when the bond has none */
	struct ztbond_peer_tab *peers;
	/*
	 * The remote ztbonds we have paths to (remote.c), NULL if none.
	 * Owned by the bond's snapshot, shared by the peers' selections.
	 */
	struct ztbond_remote_tab *remotes;
	bool dedup;			/* receive: drop copies */
	/* for build() only: the selection's parameters and previous choice */
	u8 link_select;
	u8 balance;
	struct ztbond_link *active;	/* none/active-backup: in and out */
	struct ztbond_link *pinned;	/* "bond rotate": in and out */
};

/*
 * The peers' own selections and the destination MACs that lead to them:
 * open addressing, filled to at most 3/4 so that a miss ends early.
 */
#define ZTBOND_PEER_SLOTS	256
#define ZTBOND_PEER_MACS_MAX	(ZTBOND_PEER_SLOTS * 3 / 4)

struct ztbond_peer_slot {
	u8 mac[ETH_ALEN];
	bool used;
	u8 group;			/* index into sel[] */
	u8 entry;			/* index into bond->peers, for readouts */
	u8 pad;
} __aligned(2);			/* for ether_addr_equal() */

struct ztbond_peer_tab {
	u32 nmacs;
	u32 overflow;			/* MACs that found no room */
	struct ztbond_peer_slot slot[ZTBOND_PEER_SLOTS];
	struct ztbond_snap sel[ZTBOND_MAX_PEER_POLICIES];
};

/*
 * The remote ztbonds this bond has paths to (remote.c), rebuilt with each
 * snapshot: per local link (by link id) the remote link MAC that link
 * addresses them at, so that frames to any of their MACs go to the link
 * of the pair (per-path addressing: both ends' links carry traffic, and
 * every frame is unicast to a member's own MAC, which ZeroTier delivers
 * without bridging). Destination MACs (their link and bond MACs) map to a
 * remote by open addressing, filled to at most 3/4.
 */
#define ZTBOND_REMOTES		16
#define ZTBOND_REMOTE_SLOTS	256
#define ZTBOND_REMOTE_MACS_MAX	(ZTBOND_REMOTE_SLOTS * 3 / 4)

struct ztbond_remote_slot {
	u8 mac[ETH_ALEN];
	bool used;
	u8 peer;			/* index into peer[] */
} __aligned(2);			/* for ether_addr_equal() */

struct ztbond_remote {
	u64 links;			/* bit i: link id i has a path */
	bool data;			/* it takes the DATA frames we would send */
	struct ztbond_link *via;	/* ARP requests to it leave here */
	atomic64_t *seq;		/* ordered DATA frames: bond->txseq[] */
	u64 echo;			/* bit i: the path of link id i answers ECHO */
	u8 path[ZTBOND_MAX_LINKS];	/* by link id: index of link->paths[] */
	u8 mac[ZTBOND_MAX_LINKS][ETH_ALEN];	/* by link id */
};

struct ztbond_remote_tab {
	u32 npeers;
	u32 nmacs;
	struct ztbond_remote_slot slot[ZTBOND_REMOTE_SLOTS];
	struct ztbond_remote peer[ZTBOND_REMOTES];
};

/*
 * Broadcast dedup, receive side: one window per remote bond id, in a small
 * fixed table (least recently used goes), under bond->dedup_lock.
 */
#define ZTBOND_DEDUP_PEERS	16

struct ztbond_dedup_peer {
	u64 id;				/* remote bond id */
	unsigned long used;		/* jiffies of the last frame; 0 = free */
	struct ztbe_dedup win;
};

/*
 * balance-rr with dataHeader, receive side (reorder.c): per sending bond,
 * the frames that came ahead of a gap, by sequence number, and per path
 * (the sender's link) the highest sequence number heard on it.
 */
#define ZTBOND_REORDER_PEERS	8
#define ZTBOND_REORDER_PATHS	8
/* how far behind next a frame may come late: a jump past it starts over */
#define ZTBOND_REORDER_BEHIND	(2 * ZTBOND_REORDER_WINDOW)

struct ztbond_reorder_path {
	u32 ifindex;			/* the sender's link; 0 = free */
	unsigned long heard;		/* jiffies */
	u64 max;
};

struct ztbond_reorder {
	struct timer_list timer;	/* the oldest gap waited long enough */
	struct ztbond *bond;
	u64 id;				/* sending bond */
	unsigned long used;		/* jiffies of its last frame; 0 = free */
	u64 next;			/* sequence number to deliver next */
	unsigned long gap_since;	/* jiffies: the gap at next since */
	u32 held;
	/*
	 * Of the ZTBOND_REORDER_BEHIND numbers before next, by number modulo
	 * that: set when its gap was given up (or is unknown, after a reset),
	 * clear once it was delivered. A frame behind next goes up only if
	 * its bit is set, so a copy or a replay is not delivered twice.
	 */
	DECLARE_BITMAP(given_up, ZTBOND_REORDER_BEHIND);
	struct ztbond_reorder_path path[ZTBOND_REORDER_PATHS];
	struct sk_buff *ring[ZTBOND_REORDER_WINDOW];
};

struct ztbond_reorder_stats {
	u64 held, lost, late;
};

/* Transmit: a sequence per remote ztbond for ordered DATA frames, RTNL. */
struct ztbond_txseq {
	u64 id;				/* remote bond; 0 = free */
	atomic64_t seq;
};

/* Scratch space for a rebuild: too large for the stack. */
struct ztbond_build_ctx {
	struct ztbe_link_view views[ZTBOND_MAX_LINKS];
	struct ztbond_link *links[ZTBOND_MAX_LINKS];
	int n;
};

/* balance-rr position, per CPU like bonding's rr_tx_counter. */
struct ztbond_rr {
	u32 sent;	/* packets sent on the current link */
	u32 idx;	/* current index into snap->tx[] */
};

struct ztbond {
	struct net_device *dev;
	struct list_head links;		/* RTNL; enslave order */
	u32 nlinks;
	struct ztbond_snap __rcu *snap;
	struct ztbond_pcpu_stats __percpu *stats;
	struct ztbond_rr __percpu *rr;
	struct ztbond_cfg cfg;
	struct ztbond_link *active;	/* active-backup/none: RTNL */
	struct ztbond_link *pinned;	/* rotate: kept while usable; RTNL */
	bool mtu_auto;			/* follow the smallest link MTU */
	struct delayed_work state_work;	/* upDelay/downDelay expiry */
	u64 id;				/* random, carried in HELLO */
	struct delayed_work monitor_work; /* probes, estimation, punishment */
	bool monitor_stop;		/* set before the work is cancelled */
	bool monitor_pending;		/* verdicts wait for RTNL */
	u64 aware_next_ns;		/* next flow table pass */
	struct ztbond_mon_scratch *mon;
	u64 link_ids;			/* bit i: a link has id i; RTNL */
	struct ztbond_flow_table __rcu *ft;	/* balance-aware; RTNL */
	atomic_t id_flows[ZTBOND_MAX_LINKS];	/* flows per link id */
	atomic_t id_active[ZTBOND_MAX_LINKS];	/* ... that sent lately (aware.c) */
	atomic_t id_clients[ZTBOND_MAX_LINKS];	/* ARP clients per link id */
	atomic64_t flow_moves;
	/* peerSpecificBonds (peer.c), RTNL */
	struct ztbond_peer_cfg *peers;
	u32 npeers;
	u8 npeer_groups;
	s8 peer_active[ZTBOND_MAX_PEER_POLICIES];	/* link id, -1 */
	bool peers_aware;		/* a peer has balance-aware */
	u32 peer_policies;		/* BIT(policy) of every peer's */
	bool paths_changed;		/* a path was born or died: remap peers */
	atomic_t notify_left;		/* client notifications still to repeat */
	/* broadcast dedup (data.c) */
	bool encap_on;			/* DATA frames in use: MTU, features; RTNL */
	atomic64_t data_seq;		/* bond sequence of DATA frames */
	spinlock_t dedup_lock;		/* dedup[], dedup_dropped */
	u64 dedup_dropped;
	struct ztbond_dedup_peer dedup[ZTBOND_DEDUP_PEERS];
	/* balance-rr with dataHeader (remote.c, reorder.c) */
	struct ztbond_txseq txseq[ZTBOND_REMOTES];
	spinlock_t reorder_lock;	/* reorder[], the counters below */
	struct ztbond_reorder *reorder;	/* [ZTBOND_REORDER_PEERS] */
	u64 reorder_held, reorder_lost, reorder_late;
	u64 reorder_dup;		/* reported in dedup_dropped */
};

/* device.c */
extern struct rtnl_link_ops ztbond_link_ops;
bool netif_is_ztbond(const struct net_device *dev);
void ztbond_cfg_default(struct ztbond_cfg *cfg);
struct ztbond *ztbond_create(struct net *net, const char *name,
			     struct netlink_ext_ack *extack);
void ztbond_stats_read(struct ztbond_pcpu_stats __percpu *s,
		       struct ztbond_stats *out);
void ztbond_update_mtu(struct ztbond *bond);

/* link.c */
int ztbond_link_add(struct ztbond *bond, struct net_device *dev,
		    const struct ztbond_link_cfg *cfg,
		    struct netlink_ext_ack *extack);
int ztbond_link_del(struct ztbond *bond, struct net_device *dev,
		    struct netlink_ext_ack *extack);
void ztbond_link_release_all(struct ztbond *bond);
struct ztbond_link *ztbond_link_get(const struct net_device *dev);
struct ztbond_link *ztbond_link_get_rcu(const struct net_device *dev);
bool ztbond_link_carries(const struct ztbond *bond,
			 const struct ztbond_link *link);
struct ztbond_link *ztbond_link_by_name(struct ztbond *bond, const char *name);
void ztbond_link_cfg_default(struct ztbond_link_cfg *cfg);
bool ztbond_link_usable(const struct ztbond_link *link);
bool ztbond_link_eligible(struct ztbond_link *link);
void ztbond_state_work(struct work_struct *work);
void ztbond_links_eval(struct ztbond *bond);
int ztbond_notifier_register(void);
void ztbond_notifier_unregister(void);

/* policy.c */
const struct ztbond_policy_ops *ztbond_policy_ops(u8 policy);
void ztbond_cfg_default_weights(struct ztbond_cfg *cfg);
int ztbond_rebuild(struct ztbond *bond);
int ztbond_rotate(struct ztbond *bond);
void ztbond_snap_free(struct ztbond *bond);
void ztbond_build_sel(struct ztbond *bond, const struct ztbond_policy_ops *ops,
		      struct ztbond_snap *sel, struct ztbond_build_ctx *ctx);
bool ztbond_snap_has_mac(const struct ztbond_snap *snap, const u8 *addr);
u32 ztbond_arp_hash(struct sk_buff *skb, bool *client);
void ztbond_notify_again(struct ztbond *bond);
bool ztbond_xmit_link(struct ztbond *bond, const struct ztbond_snap *snap,
		      struct ztbond_link *link, struct sk_buff *skb);
int ztbond_set_source(struct ztbond *bond, struct ztbond_link *link,
		      struct sk_buff *skb);
netdev_tx_t ztbond_xmit(struct sk_buff *skb, struct net_device *dev);

/* monitor.c */
int ztbond_monitor_init(struct ztbond *bond);
void ztbond_monitor_free(struct ztbond *bond);
void ztbond_monitor_kick(struct ztbond *bond);
void ztbond_monitor_probe_link(struct ztbond *bond, struct ztbond_link *link);
void ztbond_link_cut(struct ztbond_link *link);
void ztbond_monitor_stop(struct ztbond *bond);
void ztbond_link_monitor_init(struct ztbond_link *link);
bool ztbond_link_healthy(const struct ztbond_link *link);
bool ztbond_link_punish(struct ztbond_link *link);
u32 ztbond_link_punish_left(struct ztbond_link *link);
void ztbond_punish_clamp(struct ztbond *bond);
u32 ztbond_link_fi(const struct ztbond_link *link);
bool ztbond_path_reply(struct ztbond_link *link, struct ztbond_path *path,
		       u32 seq, u64 sent_ns, u64 now);
bool ztbond_path_echo(struct ztbond_link *link, struct ztbond_path *path,
		      u64 seq, u64 now);

/* proto.c */
bool ztbond_proto_match(struct sk_buff *skb);
void ztbond_proto_rx(struct ztbond_link *link, const struct ztbond_snap *snap,
		     struct sk_buff *skb);
int ztbond_proto_send_hello(struct ztbond_link *link);
int ztbond_proto_send_probe(struct ztbond_link *link, const u8 *peer_mac,
			    u32 seq, u64 sent_ns);
int ztbond_proto_send_echo(struct ztbond_link *link,
			   const struct ztbond_snap *snap, const u8 *peer_mac,
			   u64 data_seq);
struct ztbond_path *ztbond_path_find(struct ztbond_link *link, const u8 *mac);
void ztbond_proto_join(struct ztbond_link *link);
void ztbond_ll_addr(struct in6_addr *a, const u8 *mac);
u64 ztbond_tag(const void *data, size_t len, const siphash_key_t *key);
void ztbond_proto_leave(struct ztbond_link *link);

/* data.c: broadcast dedup */
bool ztbond_encap_wanted(const struct ztbond *bond);
void ztbond_encap_apply(struct ztbond *bond);
bool ztbond_encap_prepare(struct sk_buff *skb);
bool ztbond_encap_xmit(struct ztbond *bond, const struct ztbond_snap *snap,
		       struct ztbond_link *link, struct sk_buff *skb,
		       const struct ztbond_remote *ep, u64 seq, u16 flags);
bool ztbond_data_match(struct sk_buff *skb);
rx_handler_result_t ztbond_data_rx(struct ztbond_link *link,
				   const struct ztbond_snap *snap,
				   struct sk_buff **pskb);
u64 ztbond_dedup_dropped(struct ztbond *bond);
u32 ztbond_encap_caps(const struct ztbond *bond);

/* reorder.c: balance-rr with dataHeader, receive */
int ztbond_reorder_init(struct ztbond *bond);
void ztbond_reorder_free(struct ztbond *bond);
struct sk_buff *ztbond_reorder_rx(struct ztbond *bond, u64 id, u64 seq,
				  u32 ifindex, struct sk_buff *skb);
void ztbond_reorder_stats(struct ztbond *bond, struct ztbond_reorder_stats *s);

/* remote.c: the ztbonds we have paths to */
int ztbond_remote_build(struct ztbond *bond, struct ztbond_snap *snap,
			struct ztbond_build_ctx *ctx);
int ztbond_remote_dst(const struct ztbond_snap *snap,
		      const struct ztbond_link *link, struct sk_buff *skb);
void ztbond_remote_arp(struct ztbond *bond, const struct ztbond_snap *snap,
		       const struct sk_buff *skb);

/* Per packet: the remote ztbond that dst belongs to, or NULL. */
static inline const struct ztbond_remote *
ztbond_remote_lookup(const struct ztbond_remote_tab *tab, const u8 *dst)
{
	u32 slot = (dst[5] ^ (dst[4] << 1) ^ (dst[3] << 2) ^ (dst[2] << 3)) &
		   (ZTBOND_REMOTE_SLOTS - 1);
	u32 i;

	for (i = 0; i < ZTBOND_REMOTE_SLOTS; i++) {
		const struct ztbond_remote_slot *s =
			&tab->slot[(slot + i) & (ZTBOND_REMOTE_SLOTS - 1)];

		if (!s->used)
			break;
		if (ether_addr_equal(s->mac, dst))
			return &tab->peer[s->peer];
	}
	return NULL;
}

/* peer.c */
int ztbond_peers_build(struct ztbond *bond, struct ztbond_snap *snap,
		       struct ztbond_build_ctx *ctx);
void ztbond_peer_tab_free(struct ztbond_peer_tab *tab);
void ztbond_peers_set(struct ztbond *bond, struct ztbond_peer_cfg *peers,
		      u32 n, u8 ngroups);
bool ztbond_peers_aware(const struct ztbond_peer_cfg *peers, u32 n,
			bool flows);
const struct ztbond_peer_cfg *ztbond_peer_of(struct ztbond *bond,
					     const u8 *mac);

/* ZeroTier MACs differ in their low four bytes (the node id). */
static inline u32 ztbond_peer_hash(const u8 *mac)
{
	return (mac[5] ^ (mac[4] << 1) ^ (mac[3] << 2) ^ (mac[2] << 3)) &
	       (ZTBOND_PEER_SLOTS - 1);
}

/* Per packet: the selection for a destination, the bond's by default. */
static inline const struct ztbond_snap *
ztbond_peer_sel(const struct ztbond_snap *snap, const u8 *dst)
{
	const struct ztbond_peer_tab *tab = snap->peers;
	u32 slot, i;

	slot = ztbond_peer_hash(dst);
	for (i = 0; i < ZTBOND_PEER_SLOTS; i++) {
		const struct ztbond_peer_slot *s =
			&tab->slot[(slot + i) & (ZTBOND_PEER_SLOTS - 1)];

		if (!s->used)
			break;
		if (ether_addr_equal(s->mac, dst))
			return &tab->sel[s->group];
	}
	return snap;
}

/* aware.c */
extern const struct ztbond_policy_ops ztbond_aware_ops;
int ztbond_aware_prepare(struct ztbond *bond, const struct ztbond_cfg *cfg,
			 bool peers_flows, struct ztbond_flow_table **old);
bool ztbond_aware_used(struct ztbond *bond);
void ztbond_aware_release(struct ztbond_flow_table *old);
void ztbond_aware_free(struct ztbond *bond);
void ztbond_aware_tick(struct ztbond *bond, bool rebalance);
u32 ztbond_aware_flows(struct ztbond *bond);
u32 ztbond_aware_spread_clients(struct ztbond *bond,
				const struct ztbond_snap *snap);

/* linkinfo.c: ip -d link */
size_t ztbond_get_size(const struct net_device *dev);
int ztbond_fill_info(struct sk_buff *skb, const struct net_device *dev);
size_t ztbond_get_slave_size(const struct net_device *bond_dev,
			     const struct net_device *slave_dev);
int ztbond_fill_slave_info(struct sk_buff *skb,
			   const struct net_device *bond_dev,
			   const struct net_device *slave_dev);

/* netlink.c */
int ztbond_genl_register(void);
void ztbond_genl_unregister(void);
void ztbond_nl_notify(struct ztbond *bond, u8 event, struct ztbond_link *link);

#endif /* _ZTBOND_PRIV_H */
