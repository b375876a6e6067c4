/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/*
 * ztbond: generic netlink ABI shared by ztbond.ko and ztbondctl.
 *
 * Family "ztbond", version 1. Every object is addressed by the bond's
 * ifindex or name (ZTBOND_A_IFINDEX / ZTBOND_A_IFNAME) and, for link
 * commands, by one ZTBOND_A_LINK nest naming the link device.
 *
 * Times are milliseconds, ratios are parts per million, rates are the
 * relative units of ZeroTier's "speed" key. New attributes are only ever
 * appended; numeric values of existing ones never change.
 */
#ifndef _UAPI_LINUX_ZTBOND_H
#define _UAPI_LINUX_ZTBOND_H

#include <linux/types.h>

#define ZTBOND_GENL_NAME		"ztbond"
#define ZTBOND_GENL_VERSION		1
#define ZTBOND_GENL_MCGRP_EVENTS	"events"

/* Upper bounds enforced by the kernel; also the sizes of fixed tables. */
#define ZTBOND_MAX_LINKS		64
#define ZTBOND_MAX_PACKETS_PER_LINK	65535
#define ZTBOND_MAX_INTERVAL_MS		3600000	/* 1 hour */
#define ZTBOND_MIN_FAILOVER_INTERVAL_MS	250
#define ZTBOND_DEF_FAILOVER_INTERVAL_MS	5000
#define ZTBOND_DEF_PACKETS_PER_LINK	64
#define ZTBOND_MAX_SPEED		1000000
#define ZTBOND_PPM			1000000	/* alloc and ratios are in ppm */
#define ZTBOND_POLICY_NAME_MAX		32	/* with the NUL */
/* Punishment (ZeroTier's refractory period): base + 2 * left, capped. */
#define ZTBOND_DEF_PUNISH_BASE_MS	8000
#define ZTBOND_DEF_PUNISH_MAX_MS	600000
#define ZTBOND_AUTH_KEY_LEN		16
/* balance-aware flow table: entries, a power of two; idle flows expire */
#define ZTBOND_MIN_FLOW_MAX		256
#define ZTBOND_DEF_FLOW_MAX		65536
#define ZTBOND_MAX_FLOW_MAX		1048576
#define ZTBOND_FLOW_EXPIRE_MS		243000	/* default: ZeroTier's */
#define ZTBOND_MIN_FLOW_EXPIRE_MS	1000
#define ZTBOND_MAX_FLOW_EXPIRE_MS	86400000
/*
 * Control protocol between ztbond peers (Documentation/ztbond-protocol.rst):
 * IPv6/UDP between link-local addresses derived from the link MACs; HELLO
 * goes to the link-local group ff02::7a74:626e (Ethernet 33:33:7a:74:62:6e).
 */
#define ZTBOND_PROTO_PORT		7389
/*
 * broadcast with dedup: frames to a ztbond peer that accepts them travel
 * in DATA frames, which cost this much of the links' MTU (IPv6 40, UDP 8,
 * header 44, bond sequence 8, tag 8, the carried Ethernet header 14): the
 * bond's MTU is the smallest link MTU minus this while it is on.
 */
#define ZTBOND_DATA_OVERHEAD		122
/* balance-rr with dataHeader, receive: frames held per peer, and the wait */
#define ZTBOND_REORDER_WINDOW		128
#define ZTBOND_DEF_REORDER_TIMEOUT_MS	50
#define ZTBOND_MAX_REORDER_TIMEOUT_MS	1000
/*
 * A per-link UP_DELAY, DOWN_DELAY or FAILOVER_INTERVAL of this value drops
 * the link's override: the link follows the bond's value again. A link
 * without an override reports no such attribute.
 */
#define ZTBOND_INHERIT			0xffffffffU

enum ztbond_cmd {
	ZTBOND_CMD_UNSPEC,
	ZTBOND_CMD_BOND_NEW,	/* create a bond: IFNAME, [POLICY], [params] */
	ZTBOND_CMD_BOND_DEL,	/* delete a bond: IFINDEX | IFNAME */
	ZTBOND_CMD_BOND_GET,	/* doit: one bond; dumpit: all in the netns */
	ZTBOND_CMD_BOND_SET,	/* change policy, bond parameters, [LINKS] */
	ZTBOND_CMD_LINK_ADD,	/* enslave LINK{IFINDEX|IFNAME, params} */
	ZTBOND_CMD_LINK_DEL,	/* release LINK{IFINDEX|IFNAME} */
	ZTBOND_CMD_LINK_SET,	/* change per-link parameters */
	/*
	 * Multicast to group "events", never a request. Carries EVENT,
	 * IFINDEX, IFNAME, POLICY, CARRIER, ACTIVE_LINK and, for the LINK_*
	 * events and ACTIVE_CHANGE, a LINK nest with the link's IFINDEX,
	 * IFNAME, STATE and ACTIVE (ACTIVE_CHANGE to no link has no nest).
	 * It says what happened, not the whole new state: a listener that
	 * needs the parameters asks with BOND_GET.
	 */
	ZTBOND_CMD_EVENT,
	ZTBOND_CMD_BOND_ROTATE,	/* active-backup: move to the next link in the queue */
	ZTBOND_CMD_PEER_GET,	/* the paths to the ztbond peers of a bond: PATHS */
	__ZTBOND_CMD_MAX,
};

#define ZTBOND_CMD_MAX (__ZTBOND_CMD_MAX - 1)

/* ZeroTier's standard policies ("defaultBondingPolicy", "basePolicy"). */
enum ztbond_policy {
	ZTBOND_POLICY_NONE,
	ZTBOND_POLICY_ACTIVE_BACKUP,
	ZTBOND_POLICY_BROADCAST,
	ZTBOND_POLICY_BALANCE_RR,
	ZTBOND_POLICY_BALANCE_XOR,
	ZTBOND_POLICY_BALANCE_AWARE,
	__ZTBOND_POLICY_MAX,
};

#define ZTBOND_POLICY_MAX (__ZTBOND_POLICY_MAX - 1)

/* active-backup "linkSelectMethod" (ZeroTier code: "activeReselect"). */
enum ztbond_select {
	ZTBOND_SELECT_ALWAYS,	/* return to the best primary whenever usable */
	ZTBOND_SELECT_BETTER,	/* switch only to a strictly better link */
	ZTBOND_SELECT_FAILURE,	/* switch only when the active link fails */
	ZTBOND_SELECT_OPTIMIZE,	/* follow quality (quality engine) */
	__ZTBOND_SELECT_MAX,
};

#define ZTBOND_SELECT_MAX (__ZTBOND_SELECT_MAX - 1)

/* balance-aware "balancePolicy"; reserved for the quality engine. */
enum ztbond_balance {
	ZTBOND_BALANCE_FLOW_DYNAMIC,
	ZTBOND_BALANCE_FLOW_STATIC,
	ZTBOND_BALANCE_PACKET,
	__ZTBOND_BALANCE_MAX,
};

#define ZTBOND_BALANCE_MAX (__ZTBOND_BALANCE_MAX - 1)

/* "monitorStrategy"; reserved for the quality engine. */
enum ztbond_monitor {
	ZTBOND_MONITOR_PASSIVE,
	ZTBOND_MONITOR_ACTIVE,
	ZTBOND_MONITOR_DYNAMIC,
	__ZTBOND_MONITOR_MAX,
};

#define ZTBOND_MONITOR_MAX (__ZTBOND_MONITOR_MAX - 1)

/* Per-link "mode". */
enum ztbond_link_mode {
	ZTBOND_LINK_MODE_SPARE,
	ZTBOND_LINK_MODE_PRIMARY,
	__ZTBOND_LINK_MODE_MAX,
};

/* Link state as reported in ZTBOND_LINK_A_STATE. */
enum ztbond_link_state {
	ZTBOND_LINK_STATE_DOWN,		/* admin down or no carrier */
	ZTBOND_LINK_STATE_UP,		/* usable for transmit */
	ZTBOND_LINK_STATE_DISABLED,	/* "enabled": false */
	ZTBOND_LINK_STATE_GOING_UP,	/* carrier back, waiting upDelay */
	ZTBOND_LINK_STATE_GOING_DOWN,	/* carrier lost, waiting downDelay */
	ZTBOND_LINK_STATE_PUNISHED,	/* healthy again, serving its punishment */
	__ZTBOND_LINK_STATE_MAX,
};

/* ipvPref: which IP versions to prefer on a path (ZeroTier values). */
#define ZTBOND_IPVPREF_ANY	0
#define ZTBOND_IPVPREF_4	4
#define ZTBOND_IPVPREF_6	6
#define ZTBOND_IPVPREF_46	46
#define ZTBOND_IPVPREF_64	64

enum ztbond_event {
	ZTBOND_EVENT_UNSPEC,
	ZTBOND_EVENT_BOND_NEW,
	ZTBOND_EVENT_BOND_DEL,
	ZTBOND_EVENT_BOND_CHANGE,	/* policy or parameters changed */
	ZTBOND_EVENT_LINK_ADD,
	ZTBOND_EVENT_LINK_DEL,
	ZTBOND_EVENT_LINK_CHANGE,	/* parameters changed */
	ZTBOND_EVENT_LINK_STATE,	/* state changed (up, down, ...) */
	ZTBOND_EVENT_ACTIVE_CHANGE,	/* active-backup switched links */
	ZTBOND_EVENT_CONFIG_APPLIED,	/* BOND_SET with LINKS: one atomic change */
	ZTBOND_EVENT_LINK_ELIGIBLE,	/* LINK_A_ELIGIBLE changed (either way) */
	ZTBOND_EVENT_LINK_PUNISHED,	/* left the bond and punished (PUNISHED_MS) */
	ZTBOND_EVENT_LINK_READMITTED,	/* punishment served, back in the bond */
	__ZTBOND_EVENT_MAX,
};

enum ztbond_attr {
	ZTBOND_A_UNSPEC,
	ZTBOND_A_PAD,
	ZTBOND_A_IFINDEX,		/* u32 */
	ZTBOND_A_IFNAME,		/* string */
	ZTBOND_A_POLICY,		/* u8, enum ztbond_policy */
	ZTBOND_A_POLICY_NAME,		/* string: custom policy name */
	ZTBOND_A_MTU,			/* u32, read-only */
	ZTBOND_A_CARRIER,		/* u8, read-only */
	ZTBOND_A_ACTIVE_LINK,		/* u32 ifindex, read-only, 0 = none */
	ZTBOND_A_PACKETS_PER_LINK,	/* u32, 0 = random link per packet */
	ZTBOND_A_FAILOVER_INTERVAL,	/* u32 ms */
	ZTBOND_A_UP_DELAY,		/* u32 ms, default for links */
	ZTBOND_A_DOWN_DELAY,		/* u32 ms, default for links */
	ZTBOND_A_LINK_SELECT,		/* u8, enum ztbond_select */
	ZTBOND_A_BALANCE_POLICY,	/* u8, enum ztbond_balance */
	ZTBOND_A_MONITOR,		/* u8, enum ztbond_monitor */
	/*
	 * Nest of ZTBOND_A_LINK. In BOND_SET: the links' parameters, applied
	 * with the bond's as one change or not at all.
	 */
	ZTBOND_A_LINKS,
	ZTBOND_A_LINK,			/* nest, enum ztbond_link_attr */
	ZTBOND_A_EVENT,			/* u8, enum ztbond_event */
	ZTBOND_A_TX_PACKETS,		/* u64, bond totals */
	ZTBOND_A_TX_BYTES,		/* u64 */
	ZTBOND_A_RX_PACKETS,		/* u64 */
	ZTBOND_A_RX_BYTES,		/* u64 */
	ZTBOND_A_TX_DROPPED,		/* u64 */
	ZTBOND_A_RX_DROPPED,		/* u64 */
	ZTBOND_A_MAC,			/* binary, ETH_ALEN */
	/* Quality engine. */
	ZTBOND_A_AUTH_KEY,		/* binary, 16 bytes (SipHash key), write-only; empty clears */
	ZTBOND_A_AUTH,			/* u8 bool, ro: control frames are authenticated */
	ZTBOND_A_BOND_ID,		/* u64, ro: random id carried in HELLO */
	ZTBOND_A_PUNISH_BASE,		/* u32 ms: first punishment, 0 = never punish */
	ZTBOND_A_PUNISH_MAX,		/* u32 ms: cap of a punishment */
	ZTBOND_A_QUALITY,		/* nest, enum ztbond_quality_attr: weights and maxima */
	/* balance-aware */
	ZTBOND_A_FLOW_MAX,		/* u32: flow table size, power of two */
	ZTBOND_A_FLOWS,			/* u32, ro: flows in the table */
	ZTBOND_A_FLOW_MOVES,		/* u64, ro: flows moved to another link */
	ZTBOND_A_PATHS,			/* nest of ZTBOND_A_PATH, ro (PEER_GET) */
	ZTBOND_A_PATH,			/* nest, enum ztbond_path_attr */
	/*
	 * peerSpecificBonds: nest of ZTBOND_A_PEER. In BOND_SET it replaces
	 * the bond's whole peer table (an empty nest clears it); BOND_GET
	 * reports it.
	 */
	ZTBOND_A_PEERS,
	ZTBOND_A_PEER,			/* nest, enum ztbond_peer_attr */
	/*
	 * broadcast: drop the copies of a frame a ztbond peer sent on several
	 * links (ZeroTier's "dedup", default on); with it on, this bond sends
	 * frames for such peers in DATA frames.
	 */
	ZTBOND_A_DEDUP,			/* u8 bool */
	ZTBOND_A_DEDUP_DROPPED,		/* u64, ro: duplicates dropped */
	/*
	 * balance-rr: frames to a ztbond peer that restores order travel in
	 * DATA frames numbered per peer, and the peer delivers them in order
	 * (a reorder window of ZTBOND_REORDER_WINDOW frames and
	 * ZTBOND_A_REORDER_TIMEOUT ms), so that one TCP stream can use every
	 * link. ztbond's own key "dataHeader", default off.
	 */
	ZTBOND_A_DATA_HEADER,		/* u8 bool */
	ZTBOND_A_REORDER_TIMEOUT,	/* u32 ms: receive, the longest a frame waits for a gap */
	ZTBOND_A_REORDER_HELD,		/* u64, ro: frames that arrived early and waited */
	ZTBOND_A_REORDER_LOST,		/* u64, ro: gaps given up (lost on every path, or timed out) */
	ZTBOND_A_REORDER_LATE,		/* u64, ro: frames that came after their gap was given up */
	ZTBOND_A_FLOW_EXPIRE,		/* u32 ms: balance-aware, an idle flow's entry expires */
	__ZTBOND_A_MAX,
};

#define ZTBOND_A_MAX (__ZTBOND_A_MAX - 1)

enum ztbond_link_attr {
	ZTBOND_LINK_A_UNSPEC,
	ZTBOND_LINK_A_PAD,
	ZTBOND_LINK_A_IFINDEX,		/* u32 */
	ZTBOND_LINK_A_IFNAME,		/* string */
	ZTBOND_LINK_A_MODE,		/* u8, enum ztbond_link_mode */
	ZTBOND_LINK_A_FAILOVER_TO,	/* string: link ifname, "" clears */
	ZTBOND_LINK_A_ENABLED,		/* u8 bool */
	ZTBOND_LINK_A_IPV_PREF,		/* u8: 0, 4, 6, 46, 64 */
	ZTBOND_LINK_A_SPEED,		/* u32, 0..ZTBOND_MAX_SPEED */
	ZTBOND_LINK_A_ALLOC,		/* u32 ppm, 0 = unset */
	ZTBOND_LINK_A_UP_DELAY,		/* u32 ms, or ZTBOND_INHERIT */
	ZTBOND_LINK_A_DOWN_DELAY,	/* u32 ms, or ZTBOND_INHERIT */
	ZTBOND_LINK_A_FAILOVER_INTERVAL,/* u32 ms, or ZTBOND_INHERIT */
	ZTBOND_LINK_A_STATE,		/* u8, enum ztbond_link_state, ro */
	ZTBOND_LINK_A_ACTIVE,		/* u8 bool, ro: carries traffic now */
	ZTBOND_LINK_A_MAC,		/* binary, ETH_ALEN, ro */
	ZTBOND_LINK_A_MTU,		/* u32, ro */
	ZTBOND_LINK_A_TX_PACKETS,	/* u64, ro */
	ZTBOND_LINK_A_TX_BYTES,		/* u64, ro */
	ZTBOND_LINK_A_RX_PACKETS,	/* u64, ro */
	ZTBOND_LINK_A_RX_BYTES,		/* u64, ro */
	ZTBOND_LINK_A_TX_DROPPED,	/* u64, ro */
	ZTBOND_LINK_A_FAILURES,		/* u32, ro: transitions to down */
	/* Quality readouts (quality engine; absent until measured). */
	ZTBOND_LINK_A_LATENCY_US,	/* u32: mean RTT */
	ZTBOND_LINK_A_PDV_US,		/* u32 */
	ZTBOND_LINK_A_PLR_PPM,		/* u32 */
	ZTBOND_LINK_A_PER_PPM,		/* u32 */
	ZTBOND_LINK_A_QUALITY_PPM,	/* u32: relative quality */
	ZTBOND_LINK_A_SHARE_PPM,	/* u32: allocated share of traffic */
	ZTBOND_LINK_A_LTM_US,		/* u32: largest RTT in the window */
	ZTBOND_LINK_A_AVAIL_PPM,	/* u32: share of the window the path was usable */
	ZTBOND_LINK_A_ELIGIBLE,		/* u8 bool, ro: may carry traffic (health and punishment) */
	ZTBOND_LINK_A_PUNISHED_MS,	/* u32, ro: punishment left */
	ZTBOND_LINK_A_PEER_MAC,		/* binary, ETH_ALEN, ro: remote link of the best path */
	ZTBOND_LINK_A_PEER_ID,		/* u64, ro: remote bond id of the best path */
	ZTBOND_LINK_A_PATHS,		/* u32, ro: paths (remote ztbond links) known */
	ZTBOND_LINK_A_CTL_TX,		/* u64, ro: control frames sent */
	ZTBOND_LINK_A_CTL_RX,		/* u64, ro: control frames accepted */
	ZTBOND_LINK_A_CTL_BAD,		/* u64, ro: malformed frames */
	ZTBOND_LINK_A_CTL_AUTH_FAIL,	/* u64, ro: failed authentication */
	ZTBOND_LINK_A_CTL_REPLAY,	/* u64, ro: replayed or stale sequence */
	ZTBOND_LINK_A_PROBES,		/* u32, ro: probes matured in the loss window */
	ZTBOND_LINK_A_FLOWS,		/* u32, ro: balance-aware flows on the link */
	ZTBOND_LINK_A_CLIENTS,		/* u32, ro: balance-aware ARP clients on the link */
	ZTBOND_LINK_A_PROBES_SENT,	/* u64, ro: PROBEs sent */
	ZTBOND_LINK_A_RTT_ECHOES,	/* u64, ro: ECHOs of our DATA frames: RTT samples */
	ZTBOND_LINK_A_DATA_LOST,	/* u64, ro: DATA frames from peers never received */
	ZTBOND_LINK_A_CAPACITY_KBPS,	/* u32, ro: measured capacity, 0 = not known */
	__ZTBOND_LINK_A_MAX,
};

/*
 * Quality weights (ppm, summing to ZTBOND_PPM) and maxima. A metric over
 * its maximum makes the path ineligible; the score of a metric is
 * exp(-4 * value / max) relative to the best path's.
 *
 * W_DEFAULT (u8): in a request, 1 asks for the policy's default weights
 * (no weight may be given with it) and 0 is ignored; giving weights
 * replaces the defaults. In a dump, 1 while the weights in force are the
 * policy's defaults; they then follow the policy when it changes.
 */
enum ztbond_quality_attr {
	ZTBOND_Q_A_UNSPEC,
	ZTBOND_Q_A_W_LAT,		/* u32 ppm */
	ZTBOND_Q_A_W_LTM,
	ZTBOND_Q_A_W_PDV,
	ZTBOND_Q_A_W_PLR,
	ZTBOND_Q_A_W_PER,
	ZTBOND_Q_A_W_AVL,
	ZTBOND_Q_A_LAT_MAX_US,		/* u32 */
	ZTBOND_Q_A_LTM_MAX_US,
	ZTBOND_Q_A_PDV_MAX_US,
	ZTBOND_Q_A_PLR_MAX_PPM,
	ZTBOND_Q_A_PER_MAX_PPM,
	ZTBOND_Q_A_AVL_MIN_PPM,
	ZTBOND_Q_A_W_DEFAULT,		/* u8 */
	__ZTBOND_Q_A_MAX,
};

#define ZTBOND_Q_A_MAX (__ZTBOND_Q_A_MAX - 1)

/*
 * Defaults of the quality parameters (ZeroTier's linkQuality defaults,
 * except the loss and error maxima: 10% rather than 0.1% and 0.01%, so
 * that one lost probe in a thousand does not evict a link).
 */
/*
 * ZeroTier's weights (lat, pdv, plr, per; ltm, avl 0): the default of
 * balance-aware, balance-xor, broadcast and none, and what ZeroTier's
 * linkQuality gives a weight it does not name.
 */
#define ZTBOND_DEF_Q_WEIGHT		250000
#define ZTBOND_DEF_Q_LAT_MAX_US		500000
#define ZTBOND_DEF_Q_PDV_MAX_US		100000
#define ZTBOND_DEF_Q_PLR_MAX_PPM	100000
#define ZTBOND_DEF_Q_PER_MAX_PPM	100000

#define ZTBOND_LINK_A_MAX (__ZTBOND_LINK_A_MAX - 1)

/*
 * One path: a link of this bond and a remote ztbond link heard on it
 * (HELLO). Read-only, from PEER_GET.
 */
enum ztbond_path_attr {
	ZTBOND_PATH_A_UNSPEC,
	ZTBOND_PATH_A_PAD,
	ZTBOND_PATH_A_LINK_IFINDEX,	/* u32: our link */
	ZTBOND_PATH_A_LINK_IFNAME,	/* string */
	ZTBOND_PATH_A_PEER_ID,		/* u64: remote bond id */
	ZTBOND_PATH_A_PEER_BOND_MAC,	/* binary, ETH_ALEN: remote bond MAC */
	ZTBOND_PATH_A_PEER_MAC,		/* binary, ETH_ALEN: remote link MAC */
	ZTBOND_PATH_A_PEER_INDEX,	/* u32: remote link index */
	ZTBOND_PATH_A_ALIVE,		/* u8 bool: answered within failoverInterval */
	ZTBOND_PATH_A_BEST,		/* u8 bool: the link's best path */
	ZTBOND_PATH_A_HEARD_MS,		/* u32: since the last HELLO */
	ZTBOND_PATH_A_LATENCY_US,	/* u32: mean RTT, once measured */
	ZTBOND_PATH_A_PLR_PPM,		/* u32: probe loss */
	ZTBOND_PATH_A_PROBES,		/* u32: probes matured in the loss window */
	ZTBOND_PATH_A_POLICY,		/* u8: policy of traffic to this peer */
	ZTBOND_PATH_A_POLICY_NAME,	/* string: its custom name, if any */
	ZTBOND_PATH_A_CAPS,		/* u32: capabilities of its last HELLO */
	__ZTBOND_PATH_A_MAX,
};

#define ZTBOND_PATH_A_MAX (__ZTBOND_PATH_A_MAX - 1)

/*
 * A peer with its own policy (ZeroTier's peerSpecificBonds): frames to
 * the peer's MAC leave by that policy instead of the bond's. The peer is
 * a MAC: a ZeroTier node's MAC on the network, or any MAC of a remote
 * ztbond (its bond MAC or a link MAC), which then stands for every link
 * MAC that bond announces in HELLO. Link health, delays and punishment
 * are per link and shared by every peer; what a peer policy changes is
 * how its traffic is spread. Peers with balance-aware share the bond's
 * flow table and allocation (one table per bond).
 */
#define ZTBOND_MAX_PEERS		64	/* entries of the peer table */
#define ZTBOND_MAX_PEER_POLICIES	8	/* distinct policies among them */

enum ztbond_peer_attr {
	ZTBOND_PEER_A_UNSPEC,
	ZTBOND_PEER_A_MAC,		/* binary, ETH_ALEN: the peer */
	ZTBOND_PEER_A_POLICY,		/* u8, enum ztbond_policy */
	ZTBOND_PEER_A_POLICY_NAME,	/* string: custom policy name */
	ZTBOND_PEER_A_PACKETS_PER_LINK,	/* u32, default the bond's */
	ZTBOND_PEER_A_LINK_SELECT,	/* u8, enum ztbond_select, default the bond's */
	ZTBOND_PEER_A_ACTIVE_LINK,	/* u32 ifindex, ro: none/active-backup */
	ZTBOND_PEER_A_BALANCE_POLICY,	/* u8, enum ztbond_balance, default the bond's */
	__ZTBOND_PEER_A_MAX,
};

#define ZTBOND_PEER_A_MAX (__ZTBOND_PEER_A_MAX - 1)

/*
 * rtnetlink (ip -d link): IFLA_INFO_DATA of a ztbond and IFLA_INFO_SLAVE_DATA
 * of its links, read-only; the generic netlink family is the interface for
 * changes.
 */
enum {
	IFLA_ZTBOND_UNSPEC,
	IFLA_ZTBOND_POLICY,		/* u8, enum ztbond_policy */
	IFLA_ZTBOND_POLICY_NAME,	/* string: custom policy, if any */
	IFLA_ZTBOND_ACTIVE_LINK,	/* u32 ifindex, 0 = none */
	IFLA_ZTBOND_LINKS,		/* u32: links enslaved */
	IFLA_ZTBOND_FAILOVER_INTERVAL,	/* u32 ms */
	IFLA_ZTBOND_LINK_SELECT,	/* u8, enum ztbond_select */
	IFLA_ZTBOND_AUTH,		/* u8 bool: control frames authenticated */
	__IFLA_ZTBOND_MAX,
};

#define IFLA_ZTBOND_MAX (__IFLA_ZTBOND_MAX - 1)

enum {
	IFLA_ZTBOND_SLAVE_UNSPEC,
	IFLA_ZTBOND_SLAVE_STATE,	/* u8, enum ztbond_link_state */
	IFLA_ZTBOND_SLAVE_MODE,		/* u8, enum ztbond_link_mode */
	IFLA_ZTBOND_SLAVE_ACTIVE,	/* u8 bool: carries traffic now */
	IFLA_ZTBOND_SLAVE_ELIGIBLE,	/* u8 bool */
	IFLA_ZTBOND_SLAVE_QUALITY,	/* u32 ppm, relative */
	IFLA_ZTBOND_SLAVE_PUNISHED_MS,	/* u32: punishment left */
	IFLA_ZTBOND_SLAVE_FAILURES,	/* u32 */
	__IFLA_ZTBOND_SLAVE_MAX,
};

#define IFLA_ZTBOND_SLAVE_MAX (__IFLA_ZTBOND_SLAVE_MAX - 1)

#endif /* _UAPI_LINUX_ZTBOND_H */
