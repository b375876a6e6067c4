/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ztbond engine: the policy decisions of ztbond in plain C.
 *
 * Nothing here includes a kernel header: the same code is compiled into
 * ztbond.ko and into the userspace unit tests (tools/testing/unit), so the
 * decisions the module takes are tested without a kernel. The module
 * supplies the integer types through <linux/types.h> (kernel) and the tests
 * through the uapi <linux/types.h>.
 *
 * Everything here runs on the control path (link events, configuration,
 * timers) except ztbe_xor_flow_id() and ztbe_bucket(), which are per-packet
 * and are therefore a handful of ALU operations.
 */
#ifndef _ZTBOND_ENGINE_H
#define _ZTBOND_ENGINE_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/atomic.h>
#include <linux/math64.h>
#include <linux/bitops.h>
#define ztbe_div64(a, b)	div64_u64(a, b)
#define ztbe_popcount64(x)	hweight64(x)
#else
#include <stdbool.h>
#include <linux/types.h>
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s32 s32;
typedef __s64 s64;
#define ztbe_div64(a, b)	((u64)(a) / (u64)(b))
#define ztbe_popcount64(x)	((u32)__builtin_popcountll(x))
#endif

/* Keep in step with ZTBOND_MAX_LINKS in uapi/linux/ztbond.h. */
#define ZTBE_MAX_LINKS		64
/* Flow buckets of balance-xor: a power of two, indexed by a hash's top bits. */
#define ZTBE_BUCKET_BITS	8
#define ZTBE_BUCKETS		(1 << ZTBE_BUCKET_BITS)

/* IP protocol numbers whose ports make a flow id (IANA). */
#define ZTBE_PROTO_TCP		6
#define ZTBE_PROTO_UDP		17
#define ZTBE_PROTO_SCTP		132
#define ZTBE_PROTO_UDPLITE	136

/* Mirrors enum ztbond_select; the engine must not need the uapi header. */
enum ztbe_select {
	ZTBE_SELECT_ALWAYS,
	ZTBE_SELECT_BETTER,
	ZTBE_SELECT_FAILURE,
	ZTBE_SELECT_OPTIMIZE,
};

/* What the engine needs to know of one link, in enslave order. */
struct ztbe_link_view {
	bool usable;		/* may carry traffic now */
	bool enabled;		/* "enabled" key */
	bool primary;		/* "mode": primary */
	bool measured;		/* quality comes from measurement */
	int failover_to;	/* index of the failoverTo link, or -1 */
	u32 quality;		/* relative quality, ppm (best = 1000000) */
};

#define ZTBE_PPM		1000000U

/*
 * optimize switches only to a link this much better (ppm of the current
 * link's quality), so that measurement noise does not flap the bond.
 */
#define ZTBE_OPTIMIZE_MARGIN	100000U

int ztbe_ab_select(const struct ztbe_link_view *links, int n, int cur,
		   enum ztbe_select method);
int ztbe_none_select(const struct ztbe_link_view *links, int n);
int ztbe_usable_set(const struct ztbe_link_view *links, int n, u8 *out);
void ztbe_fill_buckets(u8 *buckets, int nbuckets,
		       const struct ztbe_link_view *links, int n);

/*
 * ZeroTier's balance-xor flow id: src_port ^ dst_port ^ proto, ports in
 * host order. Only meaningful for TCP, SCTP, UDP and UDP-Lite.
 */
static inline u32 ztbe_xor_flow_id(u16 sport, u16 dport, u8 proto)
{
	return (u32)sport ^ (u32)dport ^ (u32)proto;
}

static inline bool ztbe_proto_has_ports(u8 proto)
{
	return proto == ZTBE_PROTO_TCP || proto == ZTBE_PROTO_UDP ||
	       proto == ZTBE_PROTO_SCTP || proto == ZTBE_PROTO_UDPLITE;
}

/*
 * Mix a flow id into a bucket (Fibonacci hashing: multiply by 2^32 / phi,
 * keep the top bits). Each bit of the id changes the top bits, so ids that
 * differ only in their low bit, or only in a high byte of a port, spread
 * over the table, and a run of ids (one host's ephemeral ports) covers it
 * evenly. A plain fold would keep the id's parity, and Linux's connect()
 * takes even ephemeral ports: with 2 links every TCP flow to one port
 * would take one link. The bucket table (ztbe_fill_buckets(), filled
 * once per change) gives each link a range of buckets, where ZeroTier
 * takes the id mod the number of links: no division here.
 */
#define ZTBE_GOLDEN32		0x9E3779B1U

static inline u32 ztbe_bucket(u32 flow_id)
{
	return (flow_id * ZTBE_GOLDEN32) >> (32 - ZTBE_BUCKET_BITS);
}

/* ---- quality (quality.c) --------------------------------------------- */

/*
 * A ring of the last ZTBE_WIN outcomes (good or bad), for ratios over a
 * sliding window: probe loss, frame errors, availability.
 */
#define ZTBE_WIN		1024
struct ztbe_window {
	u64 bits[ZTBE_WIN / 64];
	u16 head;		/* next slot */
	u16 count;		/* outcomes held, <= ZTBE_WIN */
	u16 bad;		/* bad outcomes held */
};

void ztbe_window_push(struct ztbe_window *w, bool bad);
u32 ztbe_window_ppm(const struct ztbe_window *w);
void ztbe_window_fold(struct ztbe_window *w, u32 good, u32 bad);

/*
 * Loss of one path measured by its receiver from the per-path sequence
 * numbers of DATA frames. A sequence number is lost when it leaves the
 * window of the ZTBE_SEQ_REORDER newest without having been received, so
 * frames reordered by fewer than that are not loss. A jump of
 * ZTBE_SEQ_RESYNC or more either way is a new sequence (the sender
 * restarted, the path was reused): the tracker starts over and counts
 * nothing. Constant time, no division: it runs per DATA frame.
 */
#define ZTBE_SEQ_REORDER	64
#define ZTBE_SEQ_RESYNC		4096
struct ztbe_seqtrack {
	u64 top;		/* highest sequence received */
	u64 seen;		/* bit i: top - i received */
	bool synced;
	u32 rx;			/* received since the last fold */
	u32 lost;		/* left the window unreceived, since the fold */
	u32 resyncs;		/* new sequences, since the fold */
};

void ztbe_seq_rx(struct ztbe_seqtrack *t, u64 seq);

/* Sliding replay window of 64 sequence numbers (as IPsec and WireGuard). */
struct ztbe_replay {
	u64 top;		/* highest sequence accepted */
	u64 seen;		/* bit i: top - i was accepted */
};

bool ztbe_replay_ok(struct ztbe_replay *r, u64 seq);

/*
 * Broadcast dedup: which bond sequence numbers of one remote bond were
 * delivered. A ring of ZTBE_DEDUP_BITS bits indexed by the sequence, as
 * WireGuard's replay counter: advancing clears whole words, so the window
 * (what is still told apart) is one word short of the ring.
 */
#define ZTBE_DEDUP_BITS		1024
#define ZTBE_DEDUP_WORDS	(ZTBE_DEDUP_BITS / 64)
#define ZTBE_DEDUP_WINDOW	(ZTBE_DEDUP_BITS - 64)
struct ztbe_dedup {
	u64 top;		/* highest sequence delivered */
	u64 bits[ZTBE_DEDUP_WORDS];
};

bool ztbe_dedup_first(struct ztbe_dedup *d, u64 seq);

/* Metrics of a path; the order is the order of the weights. */
enum ztbe_metric {
	ZTBE_M_LAT,		/* mean RTT, us */
	ZTBE_M_LTM,		/* largest RTT, us */
	ZTBE_M_PDV,		/* RTT standard deviation, us */
	ZTBE_M_PLR,		/* loss ratio, ppm */
	ZTBE_M_PER,		/* error ratio, ppm */
	ZTBE_M_AVL,		/* unavailability (1 - availability), ppm */
	ZTBE_M_COUNT,
};

struct ztbe_qparams {
	u32 weight[ZTBE_M_COUNT];	/* ppm, sum ZTBE_PPM */
	u32 max[ZTBE_M_COUNT];		/* 0 = no maximum */
};

void ztbe_qparams_default(struct ztbe_qparams *p);
bool ztbe_qparams_valid(const struct ztbe_qparams *p);
void ztbe_rtt_stats(const u32 *samples, int n, u32 *mean, u32 *max,
		    u32 *sd);
u32 ztbe_exp_neg_ppm(u64 x_q16);
u32 ztbe_metric_score(u32 value, u32 max);
bool ztbe_over_max(const u32 *m, const struct ztbe_qparams *p);
/* m: n rows of ZTBE_M_COUNT metrics */
void ztbe_quality(const u32 *m, int n, const struct ztbe_qparams *p,
		  u32 *quality);
u32 ztbe_punish_next(u32 base, u32 left, u32 cap);
bool ztbe_dynamic_probe(u64 echo_ns, u64 now, u64 fi_ns);
void ztbe_shares(const u32 *weight, int n, u32 *share);

/* ---- balance-aware (aware.c) ------------------------------------------ */

/* Length of the per-packet weighted sequence: a power of two. */
#define ZTBE_WSEQ		1024

void ztbe_fill_wseq(const u32 *share, int n, u8 *seq, int len);
int ztbe_pick_deficit(const u32 *share, const u32 *flows, int n);

/*
 * The flow table: flowTableSize entries allocated once, in buckets of
 * ZTBE_FT_WAYS indexed by the flow hash's low bits. A flow is found by
 * looking at its bucket only, so the per-packet cost is the same with 100
 * flows as with a million; a new flow takes a free way, else the least
 * recently used one (evicting it), so a flood of new flows allocates
 * nothing and displaces only the table's oldest entries.
 */
#define ZTBE_FT_WAYS		4

/*
 * An entry is one 64-bit key (hash, link id, client, valid) and the time
 * of its last packet. The key is written whole, by compare-and-exchange
 * only: two CPUs may add the same flow at once (a broadcast ARP request
 * arrives on every link, and the stack answers each copy), and the first
 * claim must win so that both send on one link; a reader sees a whole
 * entry or the one before it, never a hash with another flow's link.
 */
struct ztbe_flow {
	u64 key;		/* ztbe_ft_key(), 0: free */
	u32 used;		/* jiffies, low 32 bits */
};

#define ZTBE_FT_VALID		1ULL
#define ZTBE_FT_CLIENT		2ULL	/* ARP about a neighbour, counted apart */
#define ZTBE_FT_ID_SHIFT	8
#define ZTBE_FT_ID_MASK		(0xffULL << ZTBE_FT_ID_SHIFT)

static inline u64 ztbe_ft_key(u32 hash, u8 id, bool client)
{
	return (u64)hash << 32 | (u64)id << ZTBE_FT_ID_SHIFT |
	       (client ? ZTBE_FT_CLIENT : 0) | ZTBE_FT_VALID;
}

static inline bool ztbe_ft_valid(u64 key)
{
	return key & ZTBE_FT_VALID;
}

static inline bool ztbe_ft_client(u64 key)
{
	return key & ZTBE_FT_CLIENT;
}

static inline u8 ztbe_ft_id(u64 key)
{
	return (key & ZTBE_FT_ID_MASK) >> ZTBE_FT_ID_SHIFT;
}

static inline u32 ztbe_ft_hash(u64 key)
{
	return key >> 32;
}

/* The same key on link id. */
static inline u64 ztbe_ft_with_id(u64 key, u8 id)
{
	return (key & ~ZTBE_FT_ID_MASK) | (u64)id << ZTBE_FT_ID_SHIFT;
}

#ifdef __KERNEL__
#define ztbe_ft_load(e)		READ_ONCE((e)->key)
#define ztbe_ft_used(e)		READ_ONCE((e)->used)
#define ztbe_ft_cmpxchg(e, old, new)	try_cmpxchg64(&(e)->key, old, new)
#else
#define ztbe_ft_load(e)		__atomic_load_n(&(e)->key, __ATOMIC_RELAXED)
#define ztbe_ft_used(e)		__atomic_load_n(&(e)->used, __ATOMIC_RELAXED)
#define ztbe_ft_cmpxchg(e, old, new) \
	__atomic_compare_exchange_n(&(e)->key, old, new, false, \
				    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)
#endif

/*
 * The way of bucket b that holds (hash, client), its key in *key; or -1
 * with *victim the way a new entry takes and *key what that way holds.
 * "used" is compared modulo 2^32: jiffies wrap. Per packet: four entries,
 * no division.
 */
static inline int ztbe_ft_find(const struct ztbe_flow *b, u32 hash,
			       bool client, int *victim, u64 *key)
{
	u64 want = ztbe_ft_key(hash, 0, client), k[ZTBE_FT_WAYS];
	u32 vused = 0, used;
	int w, v = 0;

	for (w = 0; w < ZTBE_FT_WAYS; w++) {
		k[w] = ztbe_ft_load(&b[w]);
		if ((k[w] & ~ZTBE_FT_ID_MASK) == want) {
			*key = k[w];
			return w;
		}
		if (!ztbe_ft_valid(k[v]))
			continue;	/* a free way is taken first */
		used = ztbe_ft_used(&b[w]);
		if (!w || !ztbe_ft_valid(k[w]) || (s32)(used - vused) < 0) {
			v = w;
			vused = used;
		}
	}
	*victim = v;
	*key = k[v];
	return -1;
}

/*
 * Way w of bucket b held *key (ztbe_ft_find()): make it (hash, client) on
 * link id. Returns 1 if it is ours (*key: what the way held), 0 if another
 * CPU added or moved that flow first (*key: its entry, whose link the
 * caller takes), -1 if the bucket changed under us otherwise (the caller
 * sends on id without an entry; rare, and bounded: no retry loop).
 */
static inline int ztbe_ft_add(struct ztbe_flow *b, u32 hash, bool client,
			      u8 id, int w, u64 *key)
{
	int v;

	if (ztbe_ft_cmpxchg(&b[w], key, ztbe_ft_key(hash, id, client)))
		return 1;
	return ztbe_ft_find(b, hash, client, &v, key) >= 0 ? 0 : -1;
}

/* Has an entry last used at "used" been idle longer than expire? */
static inline bool ztbe_ft_idle(u32 used, u32 now, u32 expire)
{
	return now - used > expire;
}
/* rebalancing's margin: a quarter of a flow, plus 1% of the flows (ppm of one) */
#define ZTBE_REBAL_SLACK	(ZTBE_PPM / 4)
#define ZTBE_REBAL_SLACK_TOTAL	(ZTBE_PPM / 100)
int ztbe_rebalance_step(const u32 *share, const u32 *flows, int n,
			int *from, int *to);

/*
 * Measured capacity of a link: the rates of its last ZTBE_CAP_SLOTS
 * one-second samples in which it was busy (a queue in front of it, or
 * frames dropped for want of room), in kbit/s. A second in which the link
 * was not busy says only what was offered, not what it can carry, and
 * counts as no sample. The estimate is the largest; 0: not known.
 */
#define ZTBE_CAP_SLOTS		16

struct ztbe_cap {
	u32 kbps[ZTBE_CAP_SLOTS];
	u8 pos;
};

void ztbe_cap_sample(struct ztbe_cap *c, u64 bytes, u64 ns, bool busy);
u32 ztbe_cap_estimate(const struct ztbe_cap *c);
/* weight may be quality (in place) */
void ztbe_auto_weights(const u32 *quality, const u32 *cap_kbps, int n,
		       u32 *weight);

/* ---- control protocol (wire.c) ------------------------------------------ */

#define ZTBE_WIRE_MAGIC		0x5a544244	/* "ZTBD" */
#define ZTBE_WIRE_VERSION	1
#define ZTBE_WIRE_HDR_LEN	44
#define ZTBE_WIRE_HELLO_LEN	8
#define ZTBE_WIRE_PROBE_LEN	16
#define ZTBE_WIRE_DATA_LEN	8	/* the bond sequence */
#define ZTBE_WIRE_ECHO_LEN	16
#define ZTBE_WIRE_TAG_LEN	8
/* the largest control frame; DATA frames carry a frame after the tag */
#define ZTBE_WIRE_MAX_LEN	(ZTBE_WIRE_HDR_LEN + ZTBE_WIRE_PROBE_LEN + \
				 ZTBE_WIRE_TAG_LEN)
#define ZTBE_WF_AUTH		0x0001
#define ZTBE_WF_ORDERED		0x0002	/* DATA: deliver in bond sequence order */
#define ZTBE_WF_ECHO		0x0004	/* DATA: answer with an ECHO */
/* HELLO caps */
#define ZTBE_CAP_DATA		0x00000001	/* accepts DATA frames */
#define ZTBE_CAP_ORDER		0x00000002	/* ... and ZTBE_WF_ORDERED ones */
#define ZTBE_CAP_ECHO		0x00000004	/* ... and ZTBE_WF_ECHO ones */
/* The Ethernet header of the frame a DATA frame carries, at least. */
#define ZTBE_ETH_HLEN		14

enum ztbe_wire_type {
	ZTBE_WIRE_HELLO = 1,
	ZTBE_WIRE_PROBE = 2,
	ZTBE_WIRE_PROBE_REPLY = 3,
	ZTBE_WIRE_DATA = 4,
	ZTBE_WIRE_ECHO = 5,
};

/* A parsed control frame, host byte order. */
struct ztbe_wire {
	u8 type;
	u16 len;		/* header + body */
	u16 flags;
	u64 bond_id;
	u64 seq;
	u8 link_mac[6];
	u8 bond_mac[6];
	u32 link_ifindex;
	u32 caps;		/* HELLO */
	u32 failover_interval;	/* HELLO */
	u32 probe_seq;		/* PROBE, PROBE_REPLY */
	u64 timestamp;		/* PROBE, PROBE_REPLY */
	u64 bond_seq;		/* DATA */
	u64 echo_seq;		/* ECHO: the header seq of the DATA frame */
	u32 inner_off;		/* DATA: offset of the carried frame */
	u64 tag;		/* ZTBE_WF_AUTH */
};

int ztbe_wire_parse(const u8 *p, u32 len, struct ztbe_wire *w);

#endif /* _ZTBOND_ENGINE_H */
