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
#else
#include <stdbool.h>
#include <linux/types.h>
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
#endif

/* Keep in step with ZTBOND_MAX_LINKS in uapi/linux/ztbond.h. */
#define ZTBE_MAX_LINKS		64
/* Flow buckets of balance-xor: a power of two so that a mask replaces mod. */
#define ZTBE_BUCKETS		256

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
	int failover_to;	/* index of the failoverTo link, or -1 */
};

int ztbe_ab_select(const struct ztbe_link_view *links, int n, int cur,
		   enum ztbe_select method);
int ztbe_none_select(const struct ztbe_link_view *links, int n);
int ztbe_usable_set(const struct ztbe_link_view *links, int n, u8 *out);
void ztbe_fill_buckets(u8 *buckets, int nbuckets, int nusable);

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
 * Fold a flow id into a bucket: xor-folding keeps flows that differ only in
 * the high byte of a port apart, the mask replaces ZeroTier's "mod number of
 * links" (the bucket table holds the mod, computed once per change).
 */
static inline u32 ztbe_bucket(u32 flow_id)
{
	flow_id ^= flow_id >> 16;
	flow_id ^= flow_id >> 8;
	return flow_id & (ZTBE_BUCKETS - 1);
}

#endif /* _ZTBOND_ENGINE_H */
