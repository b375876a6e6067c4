/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ztbondctl: shared declarations.
 *
 *   main.c   command-line grammar, usage, dispatch
 *   keys.c   the KEY VALUE vocabulary and enum names (ZeroTier key names)
 *   nl.c     generic netlink client (requests, acks, extack, events)
 *   show.c   decoding of bond/link attributes, text and JSON output
 *   config.c ZeroTier local.conf JSON: check, apply, dump (config.h)
 */
#ifndef ZTBONDCTL_H
#define ZTBONDCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>
#include <linux/if_ether.h>
#include <linux/ztbond.h>

#define ZTB_PROG	"ztbondctl"

#ifndef ZTB_VERSION
#define ZTB_VERSION	"0.1"
#endif

#define ZTB_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#if defined(__GNUC__)
#define ZTB_PRINTF(f, a)	__attribute__((format(printf, f, a)))
#else
#define ZTB_PRINTF(f, a)
#endif

/* Print "ztbondctl: <message>" on stderr. */
void ztb_err(const char *fmt, ...) ZTB_PRINTF(1, 2);

/* ---- keys.c ---------------------------------------------------------- */

struct ztb_enum {
	const char *const *names;	/* indexed by value, NULL = hole */
	unsigned int n;
};

extern const struct ztb_enum ztb_policy_names;
extern const struct ztb_enum ztb_select_names;
extern const struct ztb_enum ztb_balance_names;
extern const struct ztb_enum ztb_monitor_names;
extern const struct ztb_enum ztb_mode_names;
extern const struct ztb_enum ztb_state_names;
extern const struct ztb_enum ztb_event_names;

/* names[v], or "unknown(v)" formatted into buf. */
const char *ztb_enum_str(const struct ztb_enum *e, uint64_t v,
			 char *buf, size_t len);

enum ztb_kind {
	ZTB_K_U32,	/* decimal, min..max, sent as u32 */
	ZTB_K_ENUM,	/* one of names, sent as u8 */
	ZTB_K_POLICY,	/* like ENUM, balance-aware refused */
	ZTB_K_BOOL,	/* true|false|1|0, sent as u8 */
	ZTB_K_IPVPREF,	/* 0, 4, 6, 46, 64, sent as u8 */
	ZTB_K_PPM,	/* fraction 0..1, sent as u32 ppm */
	ZTB_K_IFNAME,	/* interface name, "" or none clears; string */
	ZTB_K_KEY,	/* 32 hex digits (16 bytes) or none; binary */
};

struct ztb_key {
	const char *name;	/* ZeroTier JSON key name */
	const char *alias;	/* the spelling ZeroTier's code reads */
	const char *alias2;	/* a third spelling, if any */
	int attr;		/* ZTBOND_A_* or ZTBOND_LINK_A_* */
	enum ztb_kind kind;
	uint32_t min, max;	/* ZTB_K_U32 */
	const char *unit;	/* ZTB_K_U32, for messages */
	bool inherit;		/* ZTB_K_U32: "inherit" sends ZTBOND_INHERIT */
	uint32_t def;		/* the kernel's default (ZTB_K_IFNAME: "") */
	const struct ztb_enum *e;	/* ZTB_K_ENUM, ZTB_K_POLICY */
	const char *help;
};

struct ztb_val {
	const struct ztb_key *key;
	uint32_t u;
	char s[IFNAMSIZ];
};

#define ZTB_MAX_VALS	16

struct ztb_kvlist {
	unsigned int n;
	struct ztb_val v[ZTB_MAX_VALS];
};

struct ztb_keyset {
	const char *what;		/* "bond" or "link" */
	const struct ztb_key *keys;	/* NULL-name terminated */
	const struct ztb_keyset *other;	/* for "is a bond key" hints */
};

extern const struct ztb_keyset ztb_bond_keyset;
extern const struct ztb_keyset ztb_link_keyset;

#define ZTB_IFNAME_RULE	"1..15 characters, no '/', ':' or whitespace"

/* A key of ks by its name or an alias, or NULL. */
const struct ztb_key *ztb_find_key(const struct ztb_keyset *ks,
				   const char *word);
/* Parse KEY VALUE pairs; on error print why and return -1. */
int ztb_parse_kv(const struct ztb_keyset *ks, int argc, char **argv,
		 struct ztb_kvlist *out);
/* Describe the values a key allows, e.g. "0..65535" or "always, better". */
const char *ztb_key_allowed(const struct ztb_key *k, char *buf, size_t len);
/* A key name for attribute attr of a keyset, or NULL. */
const char *ztb_key_name_by_attr(const struct ztb_keyset *ks, int attr);
/* True if s is a name the kernel would accept for a net device. */
bool ztb_ifname_valid(const char *s);
/* Check and report an interface-name argument. */
int ztb_check_ifname(const char *s);

/* ---- nl.c ------------------------------------------------------------ */

struct nl_msg;
struct nlattr;

struct ztb_nl;

typedef int (*ztb_msg_fn)(struct nlattr **tb, void *arg);

/* Open a socket and resolve the family; prints why and returns NULL. */
struct ztb_nl *ztb_nl_open(void);
void ztb_nl_close(struct ztb_nl *nl);
/* A request with genl header; dump selects NLM_F_DUMP, else NLM_F_ACK. */
struct nl_msg *ztb_nl_req(struct ztb_nl *nl, uint8_t cmd, bool dump);
/*
 * Send msg (consumed), call fn for each reply message with its top-level
 * attributes parsed, wait for the ack or end of dump. Kernel errors are
 * printed (with extack text) with ctx as context; returns 0 or -1.
 */
int ztb_nl_exec(struct ztb_nl *nl, struct nl_msg *msg, ztb_msg_fn fn,
		void *arg, const char *ctx);
/* Join the events group and call fn per ZTBOND_CMD_EVENT until SIGINT. */
int ztb_nl_monitor(struct ztb_nl *nl, ztb_msg_fn fn, void *arg);

/* Append parsed KEY VALUE pairs as attributes. */
int ztb_put_kv(struct nl_msg *msg, const struct ztb_kvlist *kv);

/* ---- show.c ---------------------------------------------------------- */

#define ZTB_OBJ_MAX	64

/* One decoded attribute set (a bond or a link); absent attrs stay unset. */
struct ztb_obj {
	uint64_t has;			/* bit n: attribute n present */
	uint64_t val[ZTB_OBJ_MAX];	/* integer attributes */
	char *str[ZTB_OBJ_MAX];		/* string attributes */
	uint8_t mac[ETH_ALEN];		/* the object's MAC */
	uint8_t peer_mac[ETH_ALEN];	/* link: remote link of the best path */
};

/* A peer with its own policy (ZTBOND_A_PEER). */
struct ztb_peer {
	uint8_t mac[ETH_ALEN];
	int policy;			/* enum ztbond_policy */
	char name[ZTBOND_POLICY_NAME_MAX];	/* custom name or "" */
	uint32_t packets_per_link;
	int link_select;		/* enum ztbond_select */
	int balance;			/* enum ztbond_balance */
	uint32_t active;		/* ifindex, 0 = none */
};

struct ztb_bond {
	struct ztb_obj a;
	/* ZTBOND_A_QUALITY, indexed by enum ztbond_quality_attr */
	bool has_q;
	uint32_t q[ZTBOND_Q_A_MAX + 1];
	unsigned int nlinks, cap;
	struct ztb_obj *links;
	bool has_peers;			/* the kernel reports a peer table */
	unsigned int npeers;
	struct ztb_peer *peers;
};

struct ztb_bondlist {
	unsigned int n, cap;
	struct ztb_bond *b;
};

/* The quality parameters a bond gets when none are given. */
void ztb_quality_default(uint32_t q[ZTBOND_Q_A_MAX + 1]);
bool ztb_quality_same(const uint32_t *a, const uint32_t *b);
/* ppm as a decimal fraction without trailing zeros: 250000 -> "0.25". */
const char *ztb_ppm_str(uint64_t ppm, char *buf, size_t len);
/* "aa:bb:cc:dd:ee:ff" into buf (18 bytes at least). */
const char *ztb_mac_str(const uint8_t *m, char *buf, size_t len);
/* ztb_msg_fn: collect a BOND_GET reply into a struct ztb_bondlist. */
int ztb_collect_bond(struct nlattr **tb, void *arg);
void ztb_bondlist_free(struct ztb_bondlist *l);
int ztb_print_bonds(const struct ztb_bondlist *l, bool json, bool single);
/* monitor: arg of ztb_print_event */
struct ztb_mon_opts {
	bool json;
	const char *bond;	/* only this bond's events; NULL: all */
};

int ztb_print_event(struct nlattr **tb, void *arg);
/* Print a JSON value on stdout with json-c's flags; -1 on failure. */
struct json_object;
/* JSON numbers as bond show writes them: ppm as a fraction, us as ms. */
struct json_object *ztb_json_ppm(uint64_t ppm);
struct json_object *ztb_json_ms(uint64_t us);
int ztb_json_print(struct json_object *j, int flags);

/* ---- peer.c ---------------------------------------------------------- */

/* peer list NAME [--json] */
int ztb_peer_list(const char *bond, bool json);

#endif /* ZTBONDCTL_H */
