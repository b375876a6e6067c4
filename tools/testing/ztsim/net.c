// SPDX-License-Identifier: GPL-2.0
/*
 * ztsim networks: the tap, the underlay socket, the shared state that lets
 * members find each other, and ZeroTier's Ethernet rules (Switch.cpp,
 * IncomingPacket.cpp, Multicaster.cpp) applied to every frame.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <json-c/json.h>

#include "ztsim.h"

#define ZTS_WIRE_MAGIC	0x5a545331u	/* "ZTS1" */
#define ZTS_WIRE_UNICAST	1
#define ZTS_WIRE_MULTICAST	2
#define ZTS_BATCH	64
#define ZTS_SCAN_MS	250
#define ZTS_RELOAD_MS	2000

struct zts_wire {
	uint32_t magic;
	uint8_t type;
	uint8_t pad[3];
	uint64_t nwid;
	uint64_t from;
} __attribute__((packed));

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

const char *zts_status_name(enum zts_status s)
{
	switch (s) {
	case ZTS_OK:
		return "OK";
	case ZTS_ACCESS_DENIED:
		return "ACCESS_DENIED";
	case ZTS_PORT_ERROR:
		return "PORT_ERROR";
	default:
		return "REQUESTING_CONFIGURATION";
	}
}

int zts_parse_nwid(const char *s, uint64_t *nwid)
{
	if (strlen(s) != 16 || strspn(s, "0123456789abcdefABCDEF") != 16)
		return -1;
	*nwid = strtoull(s, NULL, 16);
	return 0;
}

/* MAC::firstOctetForNetwork and MAC::fromAddress of ZeroTierOne. */
static uint8_t first_octet(uint64_t nwid)
{
	uint8_t a = (uint8_t)((nwid & 0xfe) | 0x02);

	return a == 0x52 ? 0x32 : a;
}

void zts_mac_from_node(uint64_t node, uint64_t nwid, uint8_t mac[6])
{
	uint64_t m = (uint64_t)first_octet(nwid) << 40;
	int i;

	m |= node & 0xffffffffffull;
	m ^= ((nwid >> 8) & 0xff) << 32;
	m ^= ((nwid >> 16) & 0xff) << 24;
	m ^= ((nwid >> 24) & 0xff) << 16;
	m ^= ((nwid >> 32) & 0xff) << 8;
	m ^= (nwid >> 40) & 0xff;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)(m >> (40 - 8 * i));
}

/* MAC::toAddress: the node a ZeroTier MAC of this network belongs to. */
static bool mac_to_node(const uint8_t mac[6], uint64_t nwid, uint64_t *node)
{
	uint64_t a = 0;
	int i;

	if (mac[0] != first_octet(nwid))
		return false;
	for (i = 1; i < 6; i++)
		a = a << 8 | mac[i];
	a ^= ((nwid >> 8) & 0xff) << 32;
	a ^= ((nwid >> 16) & 0xff) << 24;
	a ^= ((nwid >> 24) & 0xff) << 16;
	a ^= ((nwid >> 32) & 0xff) << 8;
	a ^= (nwid >> 40) & 0xff;
	*node = a;
	return true;
}

static void mac_str(const uint8_t m[6], char *out)
{
	sprintf(out, "%02x:%02x:%02x:%02x:%02x:%02x",
		m[0], m[1], m[2], m[3], m[4], m[5]);
}

static int mac_parse(const char *s, uint8_t m[6])
{
	unsigned int b[6];
	int i, n = 0;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n", &b[0], &b[1], &b[2],
		   &b[3], &b[4], &b[5], &n) != 6 || s[n])
		return -1;
	for (i = 0; i < 6; i++)
		m[i] = (uint8_t)b[i];
	return 0;
}

/* ---- underlay --------------------------------------------------------- */

static int set_lo_up(void)
{
	struct ifreq ifr = { 0 };
	int s, r = 0;

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		r = ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	close(s);
	return r;
}

/*
 * The underlay: one UDP socket on 127.0.0.1 (any port) in the underlay
 * network namespace, opened there and used from ours. Members of every
 * namespace reach each other through that namespace's loopback.
 */
int zts_underlay_open(struct zts *z)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int self = -1, ul = -1, fd, sz = 4 << 20;
	char path[128];

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (z->underlay[0]) {
		snprintf(path, sizeof(path), "/run/netns/%s", z->underlay);
		self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		ul = open(path, O_RDONLY | O_CLOEXEC);
		if (self < 0 || ul < 0) {
			zts_log("underlay namespace %s: %s", path, strerror(errno));
			return -1;
		}
		if (setns(ul, CLONE_NEWNET)) {
			zts_log("setns %s: %s", path, strerror(errno));
			return -1;
		}
		close(ul);
	}
	if (set_lo_up())
		zts_log("cannot bring lo up in the underlay: %s", strerror(errno));
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)))
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)))
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
		    getsockname(fd, (struct sockaddr *)&a, &alen)) {
			zts_log("underlay socket: %s", strerror(errno));
			close(fd);
			fd = -1;
		}
	} else {
		zts_log("underlay socket: %s", strerror(errno));
	}
	if (self >= 0) {
		if (setns(self, CLONE_NEWNET)) {
			zts_log("cannot return to our namespace: %s",
				strerror(errno));
			exit(1);
		}
		close(self);
	}
	if (fd < 0)
		return -1;
	z->udpfd = fd;
	z->udp_port = ntohs(a.sin_port);
	return 0;
}

/* ---- shared state ------------------------------------------------------- */

static void net_dir(const struct zts *z, const struct zts_network *n,
		    const char *kind, char *out, size_t len)
{
	snprintf(out, len, "%s/%s/%016llx", z->state, kind,
		 (unsigned long long)n->nwid);
}

static int mkdirs(const char *path)
{
	char p[4200], *s;

	snprintf(p, sizeof(p), "%s", path);
	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) && errno != EEXIST)
			return -1;
		*s = '/';
	}
	return mkdir(p, 0755) && errno != EEXIST ? -1 : 0;
}

/* Our member record: how to reach us and what we subscribe to. */
static void publish(struct zts *z, struct zts_network *n)
{
	char dir[4200], path[4300], buf[32];
	struct json_object *o, *subs, *g;
	const char *s;
	int i;

	net_dir(z, n, "members", dir, sizeof(dir));
	if (mkdirs(dir)) {
		zts_log("cannot create %s: %s", dir, strerror(errno));
		return;
	}
	o = json_object_new_object();
	snprintf(buf, sizeof(buf), "%010llx", (unsigned long long)z->node);
	json_object_object_add(o, "node", json_object_new_string(buf));
	json_object_object_add(o, "pid", json_object_new_int(getpid()));
	json_object_object_add(o, "port", json_object_new_int(z->udp_port));
	subs = json_object_new_array();
	for (i = 0; i < n->nsubs; i++) {
		g = json_object_new_object();
		mac_str(n->subs[i].mac, buf);
		json_object_object_add(g, "mac", json_object_new_string(buf));
		json_object_object_add(g, "adi",
				       json_object_new_int64(n->subs[i].adi));
		json_object_array_add(subs, g);
	}
	json_object_object_add(o, "subs", subs);
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	snprintf(path, sizeof(path), "%s/%010llx.json", dir,
		 (unsigned long long)z->node);
	if (zts_write_file(path, s, strlen(s), 0644))
		zts_log("cannot write %s", path);
	json_object_put(o);
}

void zts_net_unpublish(struct zts *z, struct zts_network *n)
{
	char dir[4200], path[4300];

	net_dir(z, n, "members", dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/%010llx.json", dir,
		 (unsigned long long)z->node);
	unlink(path);
}

static bool jbool(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) &&
	       json_object_get_type(v) == json_type_boolean &&
	       json_object_get_boolean(v);
}

/* ZeroTier Central's default rules: drop all but IPv4, ARP and IPv6. */
static void default_rules(struct zts_network *n)
{
	static const uint16_t et[] = { 0x0800, 0x0806, 0x86dd };
	int i;

	for (i = 0; i < 3; i++)
		n->rules[i] = (struct zts_rule){ .type = ZTS_MATCH_ETHERTYPE,
			.not = true, .ethertype = et[i] };
	n->rules[3] = (struct zts_rule){ .type = ZTS_ACTION_DROP };
	n->rules[4] = (struct zts_rule){ .type = ZTS_ACTION_ACCEPT };
	n->nrules = 5;
}

/* Central's rule JSON (config.rules), the subset ztsim evaluates. */
static int parse_rules(struct zts_network *n, struct json_object *arr)
{
	struct zts_rule r[ZTS_MAX_RULES];
	struct json_object *o, *v;
	size_t i, len;
	const char *t;

	if (json_object_get_type(arr) != json_type_array)
		return -1;
	len = json_object_array_length(arr);
	if (len > ZTS_MAX_RULES)
		return -1;
	for (i = 0; i < len; i++) {
		o = json_object_array_get_idx(arr, i);
		if (!json_object_object_get_ex(o, "type", &v))
			return -1;
		t = json_object_get_string(v);
		memset(&r[i], 0, sizeof(r[i]));
		r[i].not = jbool(o, "not");
		r[i].or = jbool(o, "or");
		if (!strcmp(t, "ACTION_ACCEPT")) {
			r[i].type = ZTS_ACTION_ACCEPT;
		} else if (!strcmp(t, "ACTION_DROP")) {
			r[i].type = ZTS_ACTION_DROP;
		} else if (!strcmp(t, "MATCH_ETHERTYPE")) {
			r[i].type = ZTS_MATCH_ETHERTYPE;
			if (!json_object_object_get_ex(o, "etherType", &v) ||
			    json_object_get_type(v) != json_type_int ||
			    json_object_get_int(v) < 0 ||
			    json_object_get_int(v) > 0xffff)
				return -1;
			r[i].ethertype = (uint16_t)json_object_get_int(v);
		} else {
			return -1;
		}
	}
	memcpy(n->rules, r, len * sizeof(r[0]));
	n->nrules = (int)len;
	return 0;
}

/* ZeroTier's rule walk: matches AND (or OR) together, an action applies if
 * its set matched; nothing matched at the end means drop. */
static bool rules_accept(const struct zts_network *n, uint16_t ethertype)
{
	bool set = true, m;
	int i;

	for (i = 0; i < n->nrules; i++) {
		const struct zts_rule *r = &n->rules[i];

		if (r->type == ZTS_MATCH_ETHERTYPE) {
			m = (r->ethertype == ethertype) ^ r->not;
			set = r->or ? (set || m) : (set && m);
			continue;
		}
		if (set)
			return r->type == ZTS_ACTION_ACCEPT;
		set = true;
	}
	return false;
}

static struct json_object *read_json(const char *path)
{
	struct json_object *o = json_object_from_file(path);

	if (o && json_object_get_type(o) != json_type_object) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

static bool mtime_changed(const char *dir, struct timespec *seen)
{
	struct stat st;

	if (stat(dir, &st))
		memset(&st, 0, sizeof(st));
	if (st.st_mtim.tv_sec == seen->tv_sec &&
	    st.st_mtim.tv_nsec == seen->tv_nsec)
		return false;
	*seen = st.st_mtim;
	return true;
}

/* Bridge and authorization flags, network type and rules from Central. */
static void load_central(struct zts *z, struct zts_network *n)
{
	char dir[4200], path[4300];
	struct json_object *o, *cfg, *v;
	int i;

	net_dir(z, n, "central", dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/network.json", dir);
	o = read_json(path);
	n->private_net = false;
	default_rules(n);
	if (o) {
		cfg = o;
		json_object_object_get_ex(o, "config", &cfg);
		n->private_net = jbool(cfg, "private");
		if (json_object_object_get_ex(cfg, "rules", &v) &&
		    parse_rules(n, v)) {
			zts_log("%s: rules ztsim cannot evaluate; default rules",
				path);
			default_rules(n);
		}
		json_object_put(o);
	}
	for (i = -1; i < n->npeers; i++) {
		uint64_t node = i < 0 ? z->node : n->peers[i].node;
		bool br = false, auth = false;

		snprintf(path, sizeof(path), "%s/%010llx.json", dir,
			 (unsigned long long)node);
		o = read_json(path);
		if (o) {
			cfg = o;
			json_object_object_get_ex(o, "config", &cfg);
			br = jbool(cfg, "activeBridge");
			auth = jbool(cfg, "authorized");
			json_object_put(o);
		}
		if (i < 0) {
			n->bridge = br;
			n->authorized = auth || !n->private_net;
		} else {
			n->peers[i].bridge = br;
			n->peers[i].authorized = auth || !n->private_net;
		}
	}
}

static int parse_member(struct json_object *o, struct zts_peer *p, int *pid)
{
	struct json_object *v, *subs, *g, *m, *a;
	size_t i, len;

	if (!json_object_object_get_ex(o, "port", &v) ||
	    json_object_get_int(v) <= 0 || json_object_get_int(v) > 65535)
		return -1;
	p->port = (uint16_t)json_object_get_int(v);
	*pid = json_object_object_get_ex(o, "pid", &v) ?
		json_object_get_int(v) : 0;
	p->nsubs = 0;
	if (!json_object_object_get_ex(o, "subs", &subs) ||
	    json_object_get_type(subs) != json_type_array)
		return 0;
	len = json_object_array_length(subs);
	for (i = 0; i < len && p->nsubs < ZTS_MAX_SUBS; i++) {
		g = json_object_array_get_idx(subs, i);
		if (!json_object_object_get_ex(g, "mac", &m) ||
		    !json_object_object_get_ex(g, "adi", &a) ||
		    mac_parse(json_object_get_string(m),
			      p->subs[p->nsubs].mac))
			continue;
		p->subs[p->nsubs].adi = (uint32_t)json_object_get_int64(a);
		p->nsubs++;
	}
	return 0;
}

/* The members of the network, from $STATE/members/<nwid>/. */
static void load_members(struct zts *z, struct zts_network *n)
{
	char dir[4200], path[4600];
	struct json_object *o;
	struct dirent *de;
	struct zts_peer *p;
	uint64_t node;
	char id[11];
	int pid;
	DIR *d;

	net_dir(z, n, "members", dir, sizeof(dir));
	n->npeers = 0;
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d)) && n->npeers < ZTS_MAX_PEERS) {
		if (strlen(de->d_name) != 15 || strcmp(de->d_name + 10, ".json") ||
		    strspn(de->d_name, "0123456789abcdef") != 10)
			continue;
		memcpy(id, de->d_name, 10);
		id[10] = '\0';
		node = strtoull(id, NULL, 16);
		if (node == z->node)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		o = read_json(path);
		if (!o)
			continue;
		p = &n->peers[n->npeers];
		memset(p, 0, sizeof(*p));
		p->node = node;
		if (!parse_member(o, p, &pid)) {
			/* a member killed without leaving: forget it */
			if (pid > 0 && kill(pid, 0) && errno == ESRCH)
				unlink(path);
			else
				n->npeers++;
		}
		json_object_put(o);
	}
	closedir(d);
}

static void reload(struct zts *z, struct zts_network *n, bool force)
{
	char dir[4200];
	bool m, c;

	net_dir(z, n, "members", dir, sizeof(dir));
	m = mtime_changed(dir, &n->members_mtime);
	net_dir(z, n, "central", dir, sizeof(dir));
	c = mtime_changed(dir, &n->central_mtime);
	if (force)
		n->reloaded_ms = zts_now_ms();
	if (m || force)
		load_members(z, n);
	if (m || c || force)
		load_central(z, n);
}

static struct zts_peer *peer_find(struct zts_network *n, uint64_t node)
{
	int i;

	for (i = 0; i < n->npeers; i++)
		if (n->peers[i].node == node)
			return &n->peers[i];
	return NULL;
}

/* ---- multicast subscriptions (LinuxEthernetTap::scanMulticastGroups) --- */

static bool add_sub(struct zts_group *g, int *ng, bool *trunc,
		    const uint8_t mac[6], uint32_t adi)
{
	int i;

	for (i = 0; i < *ng; i++)
		if (!memcmp(g[i].mac, mac, 6) && g[i].adi == adi)
			return true;
	if (*ng >= ZTS_MAX_SUBS) {
		*trunc = true;
		return false;
	}
	memcpy(g[*ng].mac, mac, 6);
	g[*ng].adi = adi;
	(*ng)++;
	return true;
}

static void scan_subs(struct zts *z, struct zts_network *n)
{
	struct zts_group g[ZTS_MAX_SUBS];
	char line[256], name[IFNAMSIZ + 8], addr[72];
	struct ifaddrs *ifa, *i;
	bool trunc = false;
	int ng = 0, idx, users, glob;
	uint8_t mac[6];
	FILE *f;

	/* broadcast: every member of a network with broadcast enabled */
	add_sub(g, &ng, &trunc, bcast, 0);
	f = fopen("/proc/net/dev_mcast", "re");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			unsigned int b[6];
			int k;

			if (sscanf(line, "%d %19s %d %d %71s", &idx, name, &users,
				   &glob, addr) != 5 ||
			    strcmp(name, n->ifname) || strlen(addr) != 12)
				continue;
			if (sscanf(addr, "%2x%2x%2x%2x%2x%2x", &b[0], &b[1],
				   &b[2], &b[3], &b[4], &b[5]) != 6)
				continue;
			for (k = 0; k < 6; k++)
				mac[k] = (uint8_t)b[k];
			add_sub(g, &ng, &trunc, mac, 0);
		}
		fclose(f);
	}
	if (!getifaddrs(&ifa)) {
		for (i = ifa; i; i = i->ifa_next) {
			if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET ||
			    strcmp(i->ifa_name, n->ifname))
				continue;
			add_sub(g, &ng, &trunc, bcast, ntohl(
				((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr));
		}
		freeifaddrs(ifa);
	}
	if (trunc && !n->subs_truncated)
		zts_log("%s: more than %d multicast groups; extra ones ignored",
			n->ifname, ZTS_MAX_SUBS);
	n->subs_truncated = trunc;
	if (ng == n->nsubs && !memcmp(g, n->subs, sizeof(g[0]) * ng))
		return;
	memcpy(n->subs, g, sizeof(g[0]) * ng);
	n->nsubs = ng;
	publish(z, n);
}

static bool subscribed(const struct zts_peer *p, const struct zts_group *g)
{
	int i;

	for (i = 0; i < p->nsubs; i++)
		if (p->subs[i].adi == g->adi && !memcmp(p->subs[i].mac, g->mac, 6))
			return true;
	return false;
}

/* ---- the tap -------------------------------------------------------------- */

static void devicemap_name(struct zts *z, struct zts_network *n, char *out)
{
	char path[4200], line[256], id[17];
	FILE *f;

	out[0] = '\0';
	snprintf(path, sizeof(path), "%s/devicemap", z->home);
	snprintf(id, sizeof(id), "%016llx", (unsigned long long)n->nwid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *eq = strchr(line, '=');

		line[strcspn(line, "\r\n")] = '\0';
		if (!eq || eq - line != 16 || strncasecmp(line, id, 16))
			continue;
		if (strlen(eq + 1) && strlen(eq + 1) < IFNAMSIZ &&
		    !strchr(eq + 1, '/') && !strchr(eq + 1, ' '))
			strcpy(out, eq + 1);
	}
	fclose(f);
}

/* zerotier-one records the name it used in devicemap. */
static void devicemap_save(struct zts *z, struct zts_network *n)
{
	char path[4200], line[256], id[17], out[8192];
	size_t len = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/devicemap", z->home);
	snprintf(id, sizeof(id), "%016llx", (unsigned long long)n->nwid);
	f = fopen(path, "re");
	if (f) {
		while (fgets(line, sizeof(line), f) && len < sizeof(out) - 512) {
			line[strcspn(line, "\r\n")] = '\0';
			if (!line[0] || !strncasecmp(line, id, 16))
				continue;
			len += (size_t)snprintf(out + len, sizeof(out) - len,
						"%s\n", line);
		}
		fclose(f);
	}
	len += (size_t)snprintf(out + len, sizeof(out) - len, "%s=%s\n", id,
				n->ifname);
	if (zts_write_file(path, out, len, 0644))
		zts_log("cannot write %s", path);
}

/* "zt" and 8 base32 digits of 40 bits of the network id. */
static void default_name(uint64_t nwid, unsigned int trial, char *out)
{
	static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
	uint64_t v = ((nwid ^ (nwid >> 24)) + trial) & 0xffffffffffull;
	int i;

	out[0] = 'z';
	out[1] = 't';
	for (i = 0; i < 8; i++)
		out[2 + i] = b32[(v >> (35 - 5 * i)) & 31];
	out[10] = '\0';
}

static int tap_open(struct zts *z, struct zts_network *n)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct ifreq ifr = { 0 };
	char name[IFNAMSIZ];
	unsigned int trial;
	int fd, s;

	devicemap_name(z, n, name);
	if (!name[0] || if_nametoindex(name)) {
		if (name[0])
			zts_log("devicemap name %s is taken; using a default",
				name);
		for (trial = 0; trial < 100; trial++) {
			default_name(n->nwid, trial, name);
			if (!if_nametoindex(name))
				break;
		}
	}
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		zts_log("/dev/net/tun: %s", strerror(errno));
		return -1;
	}
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	strcpy(ifr.ifr_name, name);
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		zts_log("tap %s: %s", name, strerror(errno));
		close(fd);
		return -1;
	}
	snprintf(n->ifname, sizeof(n->ifname), "%s", ifr.ifr_name);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, n->ifname);
	ifr.ifr_hwaddr.sa_family = 1;	/* ARPHRD_ETHER */
	memcpy(ifr.ifr_hwaddr.sa_data, n->mac, 6);
	if (s < 0 || ioctl(s, SIOCSIFHWADDR, &ifr))
		goto fail;
	ifr.ifr_mtu = (int)n->mtu;
	if (ioctl(s, SIOCSIFMTU, &ifr) || ioctl(s, SIOCGIFFLAGS, &ifr))
		goto fail;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr))
		goto fail;
	close(s);
	n->ifindex = (int)if_nametoindex(n->ifname);
	n->tapfd = fd;
	ev.data.u64 = zts_tag(ZTS_TAG_TAP, (uint32_t)(n - z->nets));
	if (epoll_ctl(z->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		zts_log("epoll: %s", strerror(errno));
		n->tapfd = -1;
		close(fd);
		return -1;
	}
	devicemap_save(z, n);
	return 0;
fail:
	zts_log("configuring %s: %s", n->ifname, strerror(errno));
	if (s >= 0)
		close(s);
	close(fd);
	return -1;
}

/* ---- joining and leaving -------------------------------------------------- */

struct zts_network *zts_net_find(struct zts *z, uint64_t nwid)
{
	int i;

	for (i = 0; i < ZTS_MAX_NETWORKS; i++)
		if (z->nets[i].used && z->nets[i].nwid == nwid)
			return &z->nets[i];
	return NULL;
}

static void load_local_conf(struct zts *z, struct zts_network *n)
{
	char path[4200], line[128];
	FILE *f;

	n->allow_managed = true;
	snprintf(path, sizeof(path), "%s/networks.d/%016llx.local.conf",
		 z->home, (unsigned long long)n->nwid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *eq = strchr(line, '=');
		bool v;

		if (!eq)
			continue;
		*eq = '\0';
		v = eq[1] == '1' || eq[1] == 't';
		if (!strcmp(line, "allowManaged"))
			n->allow_managed = v;
		else if (!strcmp(line, "allowGlobal"))
			n->allow_global = v;
		else if (!strcmp(line, "allowDefault"))
			n->allow_default = v;
		else if (!strcmp(line, "allowDNS"))
			n->allow_dns = v;
	}
	fclose(f);
}

void zts_net_save_local_conf(struct zts *z, struct zts_network *n)
{
	char path[4200], buf[128];
	int len;

	len = snprintf(buf, sizeof(buf),
		       "allowManaged=%d\nallowGlobal=%d\nallowDefault=%d\nallowDNS=%d\n",
		       n->allow_managed, n->allow_global, n->allow_default,
		       n->allow_dns);
	snprintf(path, sizeof(path), "%s/networks.d/%016llx.local.conf",
		 z->home, (unsigned long long)n->nwid);
	if (zts_write_file(path, buf, (size_t)len, 0644))
		zts_log("cannot write %s", path);
}

struct zts_network *zts_net_join(struct zts *z, uint64_t nwid)
{
	struct zts_network *n = zts_net_find(z, nwid);
	char path[4200];
	int i, fd;

	if (n)
		return n;
	for (i = 0; i < ZTS_MAX_NETWORKS && z->nets[i].used; i++)
		;
	if (i == ZTS_MAX_NETWORKS)
		return NULL;
	n = &z->nets[i];
	memset(n, 0, sizeof(*n));
	n->used = true;
	n->nwid = nwid;
	n->tapfd = -1;
	n->mtu = ZTS_MTU_DEFAULT;
	n->status = ZTS_REQUESTING;
	n->joined_ms = zts_now_ms();
	zts_mac_from_node(z->node, nwid, n->mac);
	default_rules(n);
	load_local_conf(z, n);
	snprintf(path, sizeof(path), "%s/networks.d", z->home);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/networks.d/%016llx.conf", z->home,
		 (unsigned long long)nwid);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
	return n;
}

void zts_net_leave(struct zts *z, struct zts_network *n, bool forget)
{
	char path[4200];

	zts_net_unpublish(z, n);
	if (n->tapfd >= 0) {
		epoll_ctl(z->epfd, EPOLL_CTL_DEL, n->tapfd, NULL);
		close(n->tapfd);	/* the tap is not persistent: it goes */
	}
	if (forget) {
		snprintf(path, sizeof(path), "%s/networks.d/%016llx.conf",
			 z->home, (unsigned long long)n->nwid);
		unlink(path);
		snprintf(path, sizeof(path), "%s/networks.d/%016llx.local.conf",
			 z->home, (unsigned long long)n->nwid);
		unlink(path);
	}
	n->used = false;
}

void zts_net_tick(struct zts *z, struct zts_network *n, uint64_t now)
{
	bool force = now - n->reloaded_ms >= ZTS_RELOAD_MS;

	if (n->status == ZTS_REQUESTING || n->status == ZTS_ACCESS_DENIED) {
		if (now - n->joined_ms < z->config_delay_ms)
			return;
		reload(z, n, true);
		if (!n->authorized) {
			n->status = ZTS_ACCESS_DENIED;
			return;
		}
		if (tap_open(z, n)) {
			n->status = ZTS_PORT_ERROR;
			return;
		}
		n->status = ZTS_OK;
		n->nsubs = -1;		/* publish on the first scan */
		scan_subs(z, n);
		zts_log("%016llx: OK on %s", (unsigned long long)n->nwid,
			n->ifname);
		return;
	}
	if (n->status != ZTS_OK)
		return;
	reload(z, n, force);
	if (!n->authorized) {
		n->status = ZTS_ACCESS_DENIED;
		zts_net_unpublish(z, n);
		return;
	}
	if (now - n->scanned_ms >= ZTS_SCAN_MS) {
		n->scanned_ms = now;
		scan_subs(z, n);
	}
}

/* ---- forwarding ------------------------------------------------------------ */

static void send_to(struct zts *z, struct zts_network *n,
		    const struct zts_peer *p, uint8_t type,
		    const uint8_t *frame, size_t len)
{
	struct zts_wire w = {
		.magic = htonl(ZTS_WIRE_MAGIC),
		.type = type,
		.nwid = htobe64(n->nwid),
		.from = htobe64(z->node),
	};
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_port = htons(p->port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct iovec iov[2] = {
		{ .iov_base = &w, .iov_len = sizeof(w) },
		{ .iov_base = (void *)frame, .iov_len = len },
	};
	struct msghdr m = {
		.msg_name = &a, .msg_namelen = sizeof(a),
		.msg_iov = iov, .msg_iovlen = 2,
	};

	if (sendmsg(z->udpfd, &m, 0) < 0) {
		n->c.tx_drop_sock++;
		return;
	}
	n->c.tx_frames++;
	n->c.tx_bytes += len;
}

static struct zts_learned *learned_slot(struct zts_network *n,
					const uint8_t mac[6])
{
	uint32_t h = 2166136261u;
	int i;

	for (i = 0; i < 6; i++)
		h = (h ^ mac[i]) * 16777619u;
	return &n->learned[h % ZTS_MAX_LEARNED];
}

/* Group of a multicast frame: ARP requests become (broadcast, target IP). */
static void frame_group(const uint8_t *f, size_t len, struct zts_group *g)
{
	uint16_t et = (uint16_t)(f[12] << 8 | f[13]);
	const uint8_t *a = f + 14;

	memcpy(g->mac, f, 6);
	g->adi = 0;
	if (!memcmp(f, bcast, 6) && et == 0x0806 && len >= 14 + 28 &&
	    a[2] == 0x08 && a[3] == 0x00 && a[4] == 6 && a[5] == 4 &&
	    a[7] == 1)
		g->adi = (uint32_t)a[24] << 24 | a[25] << 16 | a[26] << 8 | a[27];
}

/* Switch::onLocalEthernet: a frame our tap sent. */
static void from_tap(struct zts *z, struct zts_network *n,
		     const uint8_t *f, size_t len)
{
	uint16_t et = (uint16_t)(f[12] << 8 | f[13]);
	struct zts_group g;
	struct zts_peer *p;
	uint64_t node;
	int i, sent;

	if (n->status != ZTS_OK) {
		n->c.tx_drop_down++;
		return;
	}
	if (len > n->mtu + 14) {
		n->c.tx_drop_size++;
		return;
	}
	if (memcmp(f + 6, n->mac, 6) && !n->bridge) {
		n->c.tx_drop_srcmac++;
		return;
	}
	if (!rules_accept(n, et)) {
		n->c.tx_drop_rules++;
		return;
	}
	if (f[0] & 1) {
		frame_group(f, len, &g);
		for (i = 0, sent = 0; i < n->npeers; i++) {
			p = &n->peers[i];
			if (p->bridge) {
				send_to(z, n, p, ZTS_WIRE_MULTICAST, f, len);
			} else if (sent < ZTS_MCAST_LIMIT && subscribed(p, &g)) {
				send_to(z, n, p, ZTS_WIRE_MULTICAST, f, len);
				sent++;
			}
		}
		return;
	}
	if (mac_to_node(f, n->nwid, &node)) {
		p = peer_find(n, node);
		if (p && node != z->node)
			send_to(z, n, p, ZTS_WIRE_UNICAST, f, len);
		else
			n->c.tx_drop_nopeer++;
		return;
	}
	/* a MAC behind a bridge: the bridge it was learned from, else all */
	{
		struct zts_learned *l = learned_slot(n, f);

		if (l->used && !memcmp(l->mac, f, 6) &&
		    (p = peer_find(n, l->node)) && p->bridge) {
			send_to(z, n, p, ZTS_WIRE_UNICAST, f, len);
			return;
		}
	}
	for (i = 0, sent = 0; i < n->npeers && sent < ZTS_MAX_BRIDGES; i++) {
		if (!n->peers[i].bridge)
			continue;
		send_to(z, n, &n->peers[i], ZTS_WIRE_UNICAST, f, len);
		sent++;
	}
	if (!sent)
		n->c.tx_drop_noroute++;
}

void zts_net_tap_event(struct zts *z, struct zts_network *n)
{
	static uint8_t buf[ZTS_FRAME_MAX];
	ssize_t r;
	int i;

	for (i = 0; i < ZTS_BATCH && n->tapfd >= 0; i++) {
		r = read(n->tapfd, buf, sizeof(buf));
		if (r < 0)
			return;
		if (r < 14)
			continue;
		zts_burn(z);
		from_tap(z, n, buf, (size_t)r);
	}
}

/* IncomingPacket EXT_FRAME / MULTICAST_FRAME: a frame from a member. */
static void from_peer(struct zts *z, struct zts_network *n, uint64_t from,
		      uint16_t port, uint8_t type, const uint8_t *f,
		      size_t len)
{
	uint16_t et = (uint16_t)(f[12] << 8 | f[13]);
	struct zts_peer *p = peer_find(n, from);
	uint8_t pmac[6];

	if ((!p || p->port != port) && zts_now_ms() - n->reloaded_ms >= 100) {
		/* a member we have not seen yet: look again (rate-limited) */
		reload(z, n, true);
		p = peer_find(n, from);
	}
	if (!p || p->port != port) {
		n->c.rx_drop_unknown++;
		return;
	}
	zts_mac_from_node(from, n->nwid, pmac);
	if (memcmp(f + 6, pmac, 6) && !p->bridge) {
		n->c.rx_drop_srcmac++;
		return;
	}
	if (type == ZTS_WIRE_UNICAST && memcmp(f, n->mac, 6) && !n->bridge) {
		n->c.rx_drop_dstmac++;
		return;
	}
	if (type == ZTS_WIRE_MULTICAST && !(f[0] & 1)) {
		n->c.rx_drop_dstmac++;
		return;
	}
	if (!rules_accept(n, et)) {
		n->c.rx_drop_rules++;
		return;
	}
	if (memcmp(f + 6, pmac, 6) && !(f[6] & 1)) {
		struct zts_learned *l = learned_slot(n, f + 6);

		memcpy(l->mac, f + 6, 6);
		l->node = from;
		l->used = true;
	}
	if (write(n->tapfd, f, len) != (ssize_t)len) {
		n->c.rx_drop_tap++;
		return;
	}
	n->c.rx_frames++;
	n->c.rx_bytes += len;
}

void zts_udp_event(struct zts *z)
{
	static uint8_t buf[sizeof(struct zts_wire) + ZTS_FRAME_MAX];
	struct sockaddr_in a;
	struct zts_network *n;
	struct zts_wire w;
	socklen_t alen;
	ssize_t r;
	int i;

	for (i = 0; i < ZTS_BATCH; i++) {
		alen = sizeof(a);
		r = recvfrom(z->udpfd, buf, sizeof(buf), 0,
			     (struct sockaddr *)&a, &alen);
		if (r < 0)
			return;
		if ((size_t)r < sizeof(w) + 14)
			continue;
		memcpy(&w, buf, sizeof(w));
		if (ntohl(w.magic) != ZTS_WIRE_MAGIC)
			continue;
		n = zts_net_find(z, be64toh(w.nwid));
		if (!n || n->status != ZTS_OK || n->tapfd < 0)
			continue;
		zts_burn(z);
		from_peer(z, n, be64toh(w.from), ntohs(a.sin_port), w.type,
			  buf + sizeof(w), (size_t)r - sizeof(w));
	}
}
