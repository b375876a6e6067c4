/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ztbond control protocol: the wire format (Documentation/ztbond-protocol.rst).
 *
 * Frames ride in IPv6/UDP between link-local addresses derived from the
 * link MACs (fe80::/64 + modified EUI-64), hop limit 255, UDP port
 * ZTBOND_PROTO_PORT on both sides, so that they cross a ZeroTier network
 * whose flow rules pass only IPv4, ARP and IPv6. All fields are in network
 * byte order.
 */
#ifndef _ZTBOND_PROTO_H
#define _ZTBOND_PROTO_H

#include <linux/types.h>
#include <linux/if_ether.h>
#include <linux/build_bug.h>

/* Constants and the parser are in engine/ (wire.c); these are the layouts. */
#include "engine/engine.h"

/* Common header: 44 bytes. */
struct ztbond_wire_hdr {
	__be32 magic;
	u8 version;
	u8 type;
	__be16 len;			/* header + body, without the tag */
	__be64 bond_id;			/* sender bond */
	__be64 seq;			/* per sending link, strictly increasing */
	u8 link_mac[ETH_ALEN];		/* sender link (= Ethernet source) */
	u8 bond_mac[ETH_ALEN];		/* sender bond */
	__be32 link_ifindex;		/* sender link, informative */
	__be16 flags;
	__be16 reserved;		/* 0 */
} __packed;

/* HELLO body: 8 bytes. */
struct ztbond_wire_hello {
	__be32 caps;			/* none defined yet: 0 */
	__be32 failover_interval;	/* ms, informative */
} __packed;

/* PROBE and PROBE_REPLY body: 16 bytes; the reply echoes the probe's. */
struct ztbond_wire_probe {
	__be32 probe_seq;
	__be32 reserved;		/* 0 */
	__be64 timestamp;		/* prober's clock, ns, opaque to the peer */
} __packed;

/* ECHO body: 16 bytes, the answer to a DATA frame with ZTBE_WF_ECHO. */
struct ztbond_wire_echo {
	__be64 data_seq;		/* that DATA frame's header seq */
	__be64 reserved;		/* 0 */
} __packed;

static_assert(sizeof(struct ztbond_wire_hdr) == ZTBE_WIRE_HDR_LEN);
static_assert(sizeof(struct ztbond_wire_echo) == ZTBE_WIRE_ECHO_LEN);
static_assert(sizeof(struct ztbond_wire_hello) == ZTBE_WIRE_HELLO_LEN);
static_assert(sizeof(struct ztbond_wire_probe) == ZTBE_WIRE_PROBE_LEN);

#endif /* _ZTBOND_PROTO_H */
