/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ztsim: a test stand-in for zerotier-one (test code, not product).
 * See README.md in this directory for what it simulates and how.
 */
#ifndef ZTSIM_H
#define ZTSIM_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZTS_VERSION		"1.14.1"
#define ZTS_MAX_NETWORKS	8
#define ZTS_MAX_PEERS		256	/* members of one network */
#define ZTS_MAX_SUBS		64	/* multicast groups of one member */
#define ZTS_MAX_LEARNED		1024	/* MACs learned behind bridges */
#define ZTS_MAX_RULES		32
#define ZTS_MAX_BRIDGES		32	/* ZT_MAX_BRIDGE_SPAM */
#define ZTS_MCAST_LIMIT		32	/* multicastLimit default */
#define ZTS_MTU_DEFAULT		2800
#define ZTS_FRAME_MAX		(10000 + 18)
#define ZTS_CONFIG_DELAY_MS	300	/* join to tap configured */

enum zts_status {
	ZTS_REQUESTING,
	ZTS_OK,
	ZTS_ACCESS_DENIED,
	ZTS_PORT_ERROR,
};

struct zts_group {
	uint8_t mac[6];
	uint32_t adi;
};

struct zts_peer {
	uint64_t node;
	uint16_t port;			/* underlay UDP port (127.0.0.1) */
	bool bridge;
	bool authorized;
	int nsubs;
	struct zts_group subs[ZTS_MAX_SUBS];
};

/* A flow rule: the subset of ZeroTier's rules this simulation evaluates. */
enum zts_rule_type {
	ZTS_MATCH_ETHERTYPE,
	ZTS_ACTION_ACCEPT,
	ZTS_ACTION_DROP,
};

struct zts_rule {
	enum zts_rule_type type;
	bool not;
	bool or;
	uint16_t ethertype;
};

struct zts_learned {
	uint8_t mac[6];
	bool used;
	uint64_t node;
};

struct zts_counters {
	uint64_t tx_frames, tx_bytes, rx_frames, rx_bytes;
	uint64_t tx_drop_srcmac;	/* foreign source MAC, not a bridge */
	uint64_t tx_drop_rules;		/* flow rules */
	uint64_t tx_drop_size;		/* longer than the MTU */
	uint64_t tx_drop_nopeer;	/* unicast to a member that is not there */
	uint64_t tx_drop_noroute;	/* foreign MAC and no bridge */
	uint64_t tx_drop_down;		/* network not OK yet */
	uint64_t tx_drop_sock;		/* underlay send failed */
	uint64_t rx_drop_srcmac;	/* sender not a bridge, foreign source */
	uint64_t rx_drop_dstmac;	/* unicast not for us and we are no bridge */
	uint64_t rx_drop_rules;
	uint64_t rx_drop_unknown;	/* sender not a member */
	uint64_t rx_drop_tap;		/* tap write failed */
};

struct zts_network {
	bool used;
	uint64_t nwid;
	enum zts_status status;
	uint64_t joined_ms;
	char ifname[IFNAMSIZ];
	int tapfd;
	int ifindex;
	uint8_t mac[6];
	unsigned int mtu;
	bool allow_managed, allow_global, allow_default, allow_dns;
	/* from the Central stand-in */
	bool bridge;
	bool authorized;
	bool private_net;
	int nrules;
	struct zts_rule rules[ZTS_MAX_RULES];
	/* other members, from the shared state */
	int npeers;
	struct zts_peer peers[ZTS_MAX_PEERS];
	struct timespec members_mtime, central_mtime;
	uint64_t reloaded_ms, scanned_ms;
	/* our own subscriptions, as published */
	int nsubs;
	struct zts_group subs[ZTS_MAX_SUBS];
	bool subs_truncated;
	struct zts_learned learned[ZTS_MAX_LEARNED];
	struct zts_counters c;
};

struct zts {
	char home[4096];
	char state[4096];
	char underlay[64];		/* netns name, "" = our own */
	unsigned int port;		/* API TCP port */
	uint64_t node;
	char identity_public[512];
	char authtoken[128];
	uint64_t cpu_cost_ns;
	uint64_t config_delay_ms;	/* join to configured (ZTSIM_CONFIG_DELAY_MS) */
	int epfd;
	int udpfd;
	uint16_t udp_port;
	struct zts_network nets[ZTS_MAX_NETWORKS];
};

/* main.c */
uint64_t zts_now_ms(void);
void zts_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int zts_write_file(const char *path, const char *data, size_t len,
		   unsigned int mode);
void zts_burn(const struct zts *z);

/* net.c */
int zts_underlay_open(struct zts *z);
int zts_parse_nwid(const char *s, uint64_t *nwid);
void zts_mac_from_node(uint64_t node, uint64_t nwid, uint8_t mac[6]);
struct zts_network *zts_net_find(struct zts *z, uint64_t nwid);
struct zts_network *zts_net_join(struct zts *z, uint64_t nwid);
void zts_net_leave(struct zts *z, struct zts_network *n, bool forget);
void zts_net_tick(struct zts *z, struct zts_network *n, uint64_t now);
void zts_net_tap_event(struct zts *z, struct zts_network *n);
void zts_udp_event(struct zts *z);
const char *zts_status_name(enum zts_status s);
void zts_net_save_local_conf(struct zts *z, struct zts_network *n);
void zts_net_unpublish(struct zts *z, struct zts_network *n);

/* api.c */
int zts_api_open(struct zts *z);
void zts_api_event(struct zts *z, int fd, uint32_t events);
void zts_api_tick(struct zts *z, uint64_t now);

/* epoll tags: fds are registered with data.u64 = tag << 32 | fd */
enum zts_tag {
	ZTS_TAG_SIGNAL = 1,
	ZTS_TAG_TIMER,
	ZTS_TAG_UDP,
	ZTS_TAG_TAP,		/* low bits: network index */
	ZTS_TAG_API_LISTEN,
	ZTS_TAG_API_CONN,
};

static inline uint64_t zts_tag(enum zts_tag t, uint32_t v)
{
	return (uint64_t)t << 32 | v;
}

#endif
