// SPDX-License-Identifier: GPL-2.0
/*
 * ztbondctl peer list NAME [--json]: the ztbond peers a bond has discovered
 * (HELLO on its links), each with its paths — which of our links reaches
 * which of its links, whether the path answers, its RTT and loss — and the
 * policy that carries traffic to it (the bond's, or its own from
 * peerSpecificBonds).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "ztbondctl.h"

struct ztb_path {
	char link[IF_NAMESIZE];
	uint64_t peer_id;
	uint8_t peer_mac[ETH_ALEN], bond_mac[ETH_ALEN];
	uint32_t peer_index, heard_ms, plr_ppm, probes, lat_us, caps;
	bool alive, best, measured;
	int policy;			/* -1: the kernel did not say */
	char policy_name[ZTBOND_POLICY_NAME_MAX];
};

struct ztb_pathlist {
	unsigned int n, cap;
	struct ztb_path *p;
	bool failed;
};

static void get_mac(struct nlattr *a, uint8_t *mac)
{
	memset(mac, 0, ETH_ALEN);
	if (a && nla_len(a) == ETH_ALEN)
		memcpy(mac, nla_data(a), ETH_ALEN);
}

static uint32_t get_u32(struct nlattr *a)
{
	return a && nla_len(a) >= 4 ? nla_get_u32(a) : 0;
}

/* ztb_msg_fn: the PEER_GET reply. */
static int collect_paths(struct nlattr **tb, void *arg)
{
	struct nlattr *ptb[ZTBOND_PATH_A_MAX + 1];
	struct ztb_pathlist *l = arg;
	struct nlattr *nest;
	int rem;

	if (!tb[ZTBOND_A_PATHS])
		return 0;
	nla_for_each_nested(nest, tb[ZTBOND_A_PATHS], rem) {
		struct ztb_path *p;

		if (nla_type(nest) != ZTBOND_A_PATH ||
		    nla_parse_nested(ptb, ZTBOND_PATH_A_MAX, nest, NULL) < 0)
			continue;
		if (l->n == l->cap) {
			unsigned int cap = l->cap ? 2 * l->cap : 16;
			struct ztb_path *np = realloc(l->p, cap * sizeof(*np));

			if (!np) {
				l->failed = true;
				return -1;
			}
			l->p = np;
			l->cap = cap;
		}
		p = &l->p[l->n++];
		memset(p, 0, sizeof(*p));
		if (ptb[ZTBOND_PATH_A_LINK_IFNAME])
			snprintf(p->link, sizeof(p->link), "%s",
				 nla_get_string(ptb[ZTBOND_PATH_A_LINK_IFNAME]));
		if (ptb[ZTBOND_PATH_A_PEER_ID] &&
		    nla_len(ptb[ZTBOND_PATH_A_PEER_ID]) == 8)
			p->peer_id = nla_get_u64(ptb[ZTBOND_PATH_A_PEER_ID]);
		get_mac(ptb[ZTBOND_PATH_A_PEER_MAC], p->peer_mac);
		get_mac(ptb[ZTBOND_PATH_A_PEER_BOND_MAC], p->bond_mac);
		p->peer_index = get_u32(ptb[ZTBOND_PATH_A_PEER_INDEX]);
		p->caps = get_u32(ptb[ZTBOND_PATH_A_CAPS]);
		p->heard_ms = get_u32(ptb[ZTBOND_PATH_A_HEARD_MS]);
		p->plr_ppm = get_u32(ptb[ZTBOND_PATH_A_PLR_PPM]);
		p->probes = get_u32(ptb[ZTBOND_PATH_A_PROBES]);
		p->alive = ptb[ZTBOND_PATH_A_ALIVE] &&
			   nla_get_u8(ptb[ZTBOND_PATH_A_ALIVE]);
		p->best = ptb[ZTBOND_PATH_A_BEST] &&
			  nla_get_u8(ptb[ZTBOND_PATH_A_BEST]);
		p->measured = ptb[ZTBOND_PATH_A_LATENCY_US] != NULL;
		p->lat_us = get_u32(ptb[ZTBOND_PATH_A_LATENCY_US]);
		p->policy = ptb[ZTBOND_PATH_A_POLICY] ?
			    nla_get_u8(ptb[ZTBOND_PATH_A_POLICY]) : -1;
		if (ptb[ZTBOND_PATH_A_POLICY_NAME])
			snprintf(p->policy_name, sizeof(p->policy_name), "%s",
				 nla_get_string(ptb[ZTBOND_PATH_A_POLICY_NAME]));
	}
	return 0;
}

static const char *hex_id(uint64_t id, char *buf, size_t len)
{
	snprintf(buf, len, "%016llx", (unsigned long long)id);
	return buf;
}

/*
 * The policy that carries traffic to a peer, as the kernel reports it per
 * path (its own from peerSpecificBonds, else the bond's).
 */
static void policy_of(const struct ztb_bond *b, const struct ztb_path *p,
		      char *buf, size_t len)
{
	char tmp[32];
	const char *base = ztb_enum_str(&ztb_policy_names,
					p->policy >= 0 ? (uint64_t)p->policy :
					b->a.val[ZTBOND_A_POLICY], tmp,
					sizeof(tmp));
	const char *custom = p->policy >= 0 ? p->policy_name :
			     b->a.str[ZTBOND_A_POLICY_NAME];

	if (custom && custom[0])
		snprintf(buf, len, "%s (%s)", custom, base);
	else
		snprintf(buf, len, "%s", base);
}

/* Peers are listed in the order first seen: is path i its peer's first? */
static bool first_of_peer(const struct ztb_pathlist *l, unsigned int i)
{
	unsigned int j;

	for (j = 0; j < i; j++)
		if (l->p[j].peer_id == l->p[i].peer_id)
			return false;
	return true;
}

static json_object *path_json(const struct ztb_path *p)
{
	json_object *j = json_object_new_object();
	char buf[32];

	json_object_object_add(j, "link", json_object_new_string(p->link));
	json_object_object_add(j, "peer_mac",
		json_object_new_string(ztb_mac_str(p->peer_mac, buf, sizeof(buf))));
	json_object_object_add(j, "peer_link_index",
			       json_object_new_uint64(p->peer_index));
	json_object_object_add(j, "alive", json_object_new_boolean(p->alive));
	/* HELLO caps bit 0: the peer link takes DATA frames (broadcast dedup) */
	json_object_object_add(j, "data", json_object_new_boolean(p->caps & 1));
	json_object_object_add(j, "best", json_object_new_boolean(p->best));
	json_object_object_add(j, "heard_ms",
			       json_object_new_uint64(p->heard_ms));
	json_object_object_add(j, "rtt_ms", p->measured ?
			       ztb_json_ms(p->lat_us) : NULL);
	json_object_object_add(j, "loss_ratio", ztb_json_ppm(p->plr_ppm));
	json_object_object_add(j, "probes", json_object_new_uint64(p->probes));
	return j;
}

static int print_peers(const struct ztb_bond *b, const struct ztb_pathlist *l,
		       bool json)
{
	char policy[96], buf[32], mac[24];
	unsigned int i, k, npeers = 0, alive;
	json_object *arr = NULL;

	if (json)
		arr = json_object_new_array();
	for (i = 0; i < l->n; i++) {
		json_object *jp = NULL, *paths = NULL;

		if (!first_of_peer(l, i))
			continue;
		npeers++;
		policy_of(b, &l->p[i], policy, sizeof(policy));
		alive = 0;
		for (k = i; k < l->n; k++)
			alive += l->p[k].peer_id == l->p[i].peer_id &&
				 l->p[k].alive;
		if (json) {
			jp = json_object_new_object();
			paths = json_object_new_array();
			json_object_object_add(jp, "peer_id",
				json_object_new_string(hex_id(l->p[i].peer_id,
							      buf, sizeof(buf))));
			json_object_object_add(jp, "bond_mac",
				json_object_new_string(ztb_mac_str(l->p[i].bond_mac,
							     mac, sizeof(mac))));
			json_object_object_add(jp, "policy",
					       json_object_new_string(policy));
			json_object_object_add(jp, "paths_alive",
					       json_object_new_uint64(alive));
		} else {
			printf("peer %s  bond mac %s  policy %s\n",
			       hex_id(l->p[i].peer_id, buf, sizeof(buf)),
			       ztb_mac_str(l->p[i].bond_mac, mac, sizeof(mac)), policy);
		}
		for (k = i; k < l->n; k++) {
			const struct ztb_path *p = &l->p[k];

			if (p->peer_id != l->p[i].peer_id)
				continue;
			if (json) {
				json_object_array_add(paths, path_json(p));
				continue;
			}
			printf("  %-15s -> %s  %-5s", p->link,
			       ztb_mac_str(p->peer_mac, mac, sizeof(mac)),
			       p->alive ? "alive" : "dead");
			if (p->measured)
				printf("  rtt %u.%03u ms", p->lat_us / 1000,
				       p->lat_us % 1000);
			printf("  loss %s", ztb_ppm_str(p->plr_ppm, buf,
							 sizeof(buf)));
			printf("  heard %u.%01u s ago%s\n", p->heard_ms / 1000,
			       p->heard_ms % 1000 / 100, p->best ? "  best" : "");
		}
		if (json) {
			json_object_object_add(jp, "paths", paths);
			json_object_array_add(arr, jp);
		}
	}
	if (json) {
		int err = ztb_json_print(arr, JSON_C_TO_STRING_PRETTY |
					 JSON_C_TO_STRING_SPACED);

		json_object_put(arr);
		return err;
	}
	if (!npeers)
		printf("%s: no ztbond peer heard on any link\n",
		       b->a.str[ZTBOND_A_IFNAME] ? b->a.str[ZTBOND_A_IFNAME] :
						   "bond");
	return 0;
}

int ztb_peer_list(const char *bond, bool json)
{
	struct ztb_bondlist bonds = { 0 };
	struct ztb_pathlist paths = { 0 };
	struct nl_msg *msg;
	struct ztb_nl *nl;
	int ret = 1;

	nl = ztb_nl_open();
	if (!nl)
		return 1;
	msg = ztb_nl_req(nl, ZTBOND_CMD_BOND_GET, false);
	if (!msg || nla_put_string(msg, ZTBOND_A_IFNAME, bond) < 0) {
		nlmsg_free(msg);
		ztb_err("out of memory building the request");
		goto out;
	}
	if (ztb_nl_exec(nl, msg, ztb_collect_bond, &bonds, bond) ||
	    bonds.n != 1)
		goto out;
	msg = ztb_nl_req(nl, ZTBOND_CMD_PEER_GET, false);
	if (!msg || nla_put_string(msg, ZTBOND_A_IFNAME, bond) < 0) {
		nlmsg_free(msg);
		ztb_err("out of memory building the request");
		goto out;
	}
	if (ztb_nl_exec(nl, msg, collect_paths, &paths, bond))
		goto out;
	if (paths.failed) {
		ztb_err("out of memory");
		goto out;
	}
	ret = print_peers(&bonds.b[0], &paths, json) ? 1 : 0;
out:
	free(paths.p);
	ztb_bondlist_free(&bonds);
	ztb_nl_close(nl);
	return ret;
}
