// SPDX-License-Identifier: GPL-2.0
/*
 * ztsim local API: the subset of zerotier-one's HTTP API that a process
 * manager uses, on 127.0.0.1:<port>. A small HTTP/1.1 server: bounded
 * connections, bounded requests, one response per connection
 * ("Connection: close"), idle connections closed after 10 s.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "ztsim.h"

#define API_MAX_CONNS	32
#define API_HDR_MAX	8192
#define API_BODY_MAX	65536
#define API_IDLE_MS	10000

struct api_conn {
	int fd;
	uint64_t last;
	char *in;
	size_t inlen;
	char *out;
	size_t outlen, outoff;
};

static struct api_conn conns[API_MAX_CONNS];
static int listen_fd = -1;

int zts_api_open(struct zts *z)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct epoll_event ev = { .events = EPOLLIN };
	socklen_t alen = sizeof(a);
	int one = 1, i;

	for (i = 0; i < API_MAX_CONNS; i++)
		conns[i].fd = -1;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)z->port);
	listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (listen_fd < 0 ||
	    setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(listen_fd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(listen_fd, 64) ||
	    getsockname(listen_fd, (struct sockaddr *)&a, &alen)) {
		zts_log("local API on 127.0.0.1:%u: %s", z->port, strerror(errno));
		return -1;
	}
	z->port = ntohs(a.sin_port);
	ev.data.u64 = zts_tag(ZTS_TAG_API_LISTEN, (uint32_t)listen_fd);
	return epoll_ctl(z->epfd, EPOLL_CTL_ADD, listen_fd, &ev);
}

static void conn_close(struct zts *z, struct api_conn *c)
{
	epoll_ctl(z->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->in);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static struct api_conn *conn_find(int fd)
{
	int i;

	for (i = 0; i < API_MAX_CONNS; i++)
		if (conns[i].fd == fd)
			return &conns[i];
	return NULL;
}

/* ---- JSON ----------------------------------------------------------------- */

static void jadd_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

static void jadd_bool(struct json_object *o, const char *k, bool v)
{
	json_object_object_add(o, k, json_object_new_boolean(v));
}

static void jadd_u64(struct json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_int64((int64_t)v));
}

static struct json_object *status_json(struct zts *z)
{
	struct json_object *o = json_object_new_object();
	struct json_object *cfg = json_object_new_object();
	struct json_object *set = json_object_new_object();
	struct json_object *sim = json_object_new_object();
	struct timespec ts;
	char buf[16];

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(buf, sizeof(buf), "%010llx", (unsigned long long)z->node);
	jadd_str(o, "address", buf);
	jadd_str(o, "publicIdentity", z->identity_public);
	jadd_bool(o, "online", true);
	jadd_bool(o, "tcpFallbackActive", false);
	jadd_str(o, "version", ZTS_VERSION);
	jadd_u64(o, "versionMajor", 1);
	jadd_u64(o, "versionMinor", 14);
	jadd_u64(o, "versionRev", 1);
	jadd_u64(o, "clock", (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
	jadd_u64(set, "primaryPort", z->port);
	jadd_str(set, "homeDir", z->home);
	jadd_bool(set, "portMappingEnabled", false);
	json_object_object_add(cfg, "settings", set);
	json_object_object_add(o, "config", cfg);
	jadd_u64(sim, "pid", (uint64_t)getpid());
	jadd_u64(sim, "underlayPort", z->udp_port);
	jadd_str(sim, "underlayNetns", z->underlay);
	jadd_str(sim, "state", z->state);
	jadd_u64(sim, "cpuCostNs", z->cpu_cost_ns);
	json_object_object_add(o, "ztsim", sim);
	return o;
}

static struct json_object *network_json(struct zts_network *n)
{
	struct json_object *o = json_object_new_object();
	struct json_object *subs = json_object_new_array();
	struct json_object *c = json_object_new_object();
	char buf[32];
	int i;

	snprintf(buf, sizeof(buf), "%016llx", (unsigned long long)n->nwid);
	jadd_str(o, "id", buf);
	jadd_str(o, "nwid", buf);
	jadd_str(o, "name", "");
	jadd_str(o, "status", zts_status_name(n->status));
	jadd_str(o, "type", n->private_net ? "PRIVATE" : "PUBLIC");
	snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x",
		 n->mac[0], n->mac[1], n->mac[2], n->mac[3], n->mac[4],
		 n->mac[5]);
	jadd_str(o, "mac", buf);
	jadd_u64(o, "mtu", n->mtu);
	jadd_bool(o, "dhcp", false);
	jadd_bool(o, "bridge", n->bridge);
	jadd_bool(o, "broadcastEnabled", true);
	jadd_u64(o, "portError", n->status == ZTS_PORT_ERROR ? 1 : 0);
	jadd_u64(o, "netconfRevision", n->status == ZTS_OK ? 1 : 0);
	json_object_object_add(o, "assignedAddresses", json_object_new_array());
	json_object_object_add(o, "routes", json_object_new_array());
	jadd_str(o, "portDeviceName", n->tapfd >= 0 ? n->ifname : "");
	jadd_bool(o, "allowManaged", n->allow_managed);
	jadd_bool(o, "allowGlobal", n->allow_global);
	jadd_bool(o, "allowDefault", n->allow_default);
	jadd_bool(o, "allowDNS", n->allow_dns);
	for (i = 0; i < n->nsubs; i++) {
		struct json_object *g = json_object_new_object();
		const uint8_t *m = n->subs[i].mac;

		snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x",
			 m[0], m[1], m[2], m[3], m[4], m[5]);
		jadd_str(g, "mac", buf);
		jadd_u64(g, "adi", n->subs[i].adi);
		json_object_array_add(subs, g);
	}
	json_object_object_add(o, "multicastSubscriptions", subs);
	/* ztsim's own: where frames went and why they were dropped */
	jadd_u64(c, "members", (uint64_t)n->npeers);
	jadd_u64(c, "txFrames", n->c.tx_frames);
	jadd_u64(c, "txBytes", n->c.tx_bytes);
	jadd_u64(c, "rxFrames", n->c.rx_frames);
	jadd_u64(c, "rxBytes", n->c.rx_bytes);
	jadd_u64(c, "txDropSourceMac", n->c.tx_drop_srcmac);
	jadd_u64(c, "txDropRules", n->c.tx_drop_rules);
	jadd_u64(c, "txDropSize", n->c.tx_drop_size);
	jadd_u64(c, "txDropNoMember", n->c.tx_drop_nopeer);
	jadd_u64(c, "txDropNoBridge", n->c.tx_drop_noroute);
	jadd_u64(c, "txDropNotReady", n->c.tx_drop_down);
	jadd_u64(c, "txDropSocket", n->c.tx_drop_sock);
	jadd_u64(c, "rxDropSourceMac", n->c.rx_drop_srcmac);
	jadd_u64(c, "rxDropDestMac", n->c.rx_drop_dstmac);
	jadd_u64(c, "rxDropRules", n->c.rx_drop_rules);
	jadd_u64(c, "rxDropUnknownMember", n->c.rx_drop_unknown);
	jadd_u64(c, "rxDropTap", n->c.rx_drop_tap);
	json_object_object_add(o, "ztsim", c);
	return o;
}

static struct json_object *error_json(const char *msg)
{
	struct json_object *o = json_object_new_object();

	jadd_str(o, "error", msg);
	return o;
}

/* ---- requests -------------------------------------------------------------- */

static void respond(struct zts *z, struct api_conn *c, int code,
		    struct json_object *body)
{
	struct epoll_event ev = { .events = EPOLLOUT };
	const char *reason, *s;
	size_t blen, cap;

	switch (code) {
	case 200: reason = "OK"; break;
	case 400: reason = "Bad Request"; break;
	case 401: reason = "Unauthorized"; break;
	case 404: reason = "Not Found"; break;
	case 405: reason = "Method Not Allowed"; break;
	case 413: reason = "Payload Too Large"; break;
	case 431: reason = "Request Header Fields Too Large"; break;
	case 501: reason = "Not Implemented"; break;
	default: reason = "Internal Server Error"; break;
	}
	s = body ? json_object_to_json_string_ext(body, JSON_C_TO_STRING_PRETTY) : "";
	blen = strlen(s);
	cap = blen + 256;
	c->out = malloc(cap);
	if (!c->out) {
		json_object_put(body);
		conn_close(z, c);
		return;
	}
	c->outlen = (size_t)snprintf(c->out, cap,
		"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
		"Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
		code, reason, blen, s);
	c->outoff = 0;
	json_object_put(body);
	ev.data.u64 = zts_tag(ZTS_TAG_API_CONN, (uint32_t)c->fd);
	epoll_ctl(z->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* POST body: only booleans for the allow* settings; all checked first. */
static int apply_settings(struct zts_network *n, struct json_object *body,
			  bool *v, const char **bad)
{
	static const char *const keys[] = {
		"allowManaged", "allowGlobal", "allowDefault", "allowDNS",
	};
	struct json_object *val;
	int i;

	v[0] = n ? n->allow_managed : true;
	v[1] = n ? n->allow_global : false;
	v[2] = n ? n->allow_default : false;
	v[3] = n ? n->allow_dns : false;
	if (!body)
		return 0;
	for (i = 0; i < 4; i++) {
		if (!json_object_object_get_ex(body, keys[i], &val))
			continue;
		if (json_object_get_type(val) != json_type_boolean) {
			*bad = keys[i];
			return -1;
		}
		v[i] = json_object_get_boolean(val);
	}
	return 0;
}

static bool authorized(struct zts *z, const char *hdr_token, const char *query)
{
	const char *p;
	size_t n = strlen(z->authtoken);

	if (hdr_token && !strcmp(hdr_token, z->authtoken))
		return true;
	for (p = query; p && *p; ) {
		if (!strncmp(p, "auth=", 5) && !strncmp(p + 5, z->authtoken, n) &&
		    (p[5 + n] == '\0' || p[5 + n] == '&'))
			return true;
		p = strchr(p, '&');
		if (p)
			p++;
	}
	return false;
}

static void handle(struct zts *z, struct api_conn *c, const char *method,
		   char *target, const char *token, const char *body,
		   size_t blen)
{
	struct json_object *jb = NULL, *arr;
	struct zts_network *n;
	char *query = strchr(target, '?');
	const char *bad = NULL;
	uint64_t nwid;
	bool v[4];
	int i;

	if (query)
		*query++ = '\0';
	if (!authorized(z, token, query)) {
		respond(z, c, 401, error_json("missing or wrong X-ZT1-Auth"));
		return;
	}
	if (!strcmp(target, "/status")) {
		if (strcmp(method, "GET")) {
			respond(z, c, 405, error_json("GET only"));
			return;
		}
		respond(z, c, 200, status_json(z));
		return;
	}
	if (!strcmp(target, "/network") || !strcmp(target, "/network/")) {
		if (strcmp(method, "GET")) {
			respond(z, c, 405, error_json("GET only"));
			return;
		}
		arr = json_object_new_array();
		for (i = 0; i < ZTS_MAX_NETWORKS; i++)
			if (z->nets[i].used)
				json_object_array_add(arr, network_json(&z->nets[i]));
		respond(z, c, 200, arr);
		return;
	}
	if (strncmp(target, "/network/", 9)) {
		respond(z, c, 404, error_json("no such path"));
		return;
	}
	if (zts_parse_nwid(target + 9, &nwid)) {
		respond(z, c, 404, error_json("network id must be 16 hex digits"));
		return;
	}
	n = zts_net_find(z, nwid);
	if (!strcmp(method, "GET")) {
		if (!n)
			respond(z, c, 404, error_json("not a member of this network"));
		else
			respond(z, c, 200, network_json(n));
		return;
	}
	if (!strcmp(method, "DELETE")) {
		if (!n) {
			respond(z, c, 404, error_json("not a member of this network"));
			return;
		}
		zts_net_leave(z, n, true);
		jb = json_object_new_object();
		jadd_bool(jb, "result", true);
		respond(z, c, 200, jb);
		return;
	}
	if (strcmp(method, "POST") && strcmp(method, "PUT")) {
		respond(z, c, 405, error_json("GET, POST or DELETE"));
		return;
	}
	if (blen) {
		struct json_tokener *tok = json_tokener_new();

		jb = tok ? json_tokener_parse_ex(tok, body, (int)blen) : NULL;
		if (!jb || json_tokener_get_error(tok) != json_tokener_success ||
		    json_object_get_type(jb) != json_type_object) {
			json_object_put(jb);
			json_tokener_free(tok);
			respond(z, c, 400, error_json("body is not a JSON object"));
			return;
		}
		json_tokener_free(tok);
	}
	if (apply_settings(n, jb, v, &bad)) {
		char msg[96];

		snprintf(msg, sizeof(msg), "%s must be true or false", bad);
		json_object_put(jb);
		respond(z, c, 400, error_json(msg));
		return;
	}
	json_object_put(jb);
	if (!n) {
		n = zts_net_join(z, nwid);
		if (!n) {
			respond(z, c, 500, error_json("too many networks"));
			return;
		}
	}
	n->allow_managed = v[0];
	n->allow_global = v[1];
	n->allow_default = v[2];
	n->allow_dns = v[3];
	zts_net_save_local_conf(z, n);
	respond(z, c, 200, network_json(n));
}

/*
 * A complete request in c->in? Then handle it. The header is parsed in a
 * copy, so a body that has not fully arrived is simply waited for.
 */
static void try_request(struct zts *z, struct api_conn *c)
{
	static char hdr[API_HDR_MAX + 1];
	char *end, *line, *next, *sp1, *sp2, *token = NULL;
	bool expect = false;
	size_t hlen, clen = 0;
	char *p;

	c->in[c->inlen] = '\0';
	end = strstr(c->in, "\r\n\r\n");
	if (!end) {
		if (c->inlen >= API_HDR_MAX)
			respond(z, c, 431, error_json("request header too long"));
		return;
	}
	hlen = (size_t)(end - c->in) + 4;
	if (hlen > API_HDR_MAX) {
		respond(z, c, 431, error_json("request header too long"));
		return;
	}
	memcpy(hdr, c->in, hlen - 4);
	hdr[hlen - 4] = '\0';
	line = hdr;
	next = strstr(line, "\r\n");
	if (next)
		*next = '\0';
	sp1 = strchr(line, ' ');
	sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (!sp1 || !sp2 || strncmp(sp2 + 1, "HTTP/1.", 7)) {
		respond(z, c, 400, error_json("bad request line"));
		return;
	}
	*sp1 = '\0';
	*sp2 = '\0';
	for (line = next ? next + 2 : NULL; line && *line; line = next) {
		next = strstr(line, "\r\n");
		if (next) {
			*next = '\0';
			next += 2;
		}
		p = strchr(line, ':');
		if (!p)
			continue;
		*p++ = '\0';
		p += strspn(p, " \t");
		if (!strcasecmp(line, "Content-Length")) {
			char *e;

			errno = 0;
			clen = strtoul(p, &e, 10);
			if (errno || *e || *p == '-' || !*p) {
				respond(z, c, 400, error_json("bad Content-Length"));
				return;
			}
			if (clen > API_BODY_MAX) {
				respond(z, c, 413, error_json("body too large"));
				return;
			}
		} else if (!strcasecmp(line, "Transfer-Encoding")) {
			respond(z, c, 501, error_json("no chunked bodies"));
			return;
		} else if (!strcasecmp(line, "Expect")) {
			expect = true;
		} else if (!strcasecmp(line, "X-ZT1-Auth")) {
			token = p;
			token[strcspn(token, " \t")] = '\0';
		}
	}
	if (c->inlen < hlen + clen) {
		static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

		if (expect && c->inlen == hlen &&
		    write(c->fd, cont, sizeof(cont) - 1) < 0)
			conn_close(z, c);
		return;
	}
	handle(z, c, hdr, sp1 + 1, token, c->in + hlen, clen);
}

static void conn_read(struct zts *z, struct api_conn *c)
{
	size_t cap = API_HDR_MAX + API_BODY_MAX;
	ssize_t r;

	for (;;) {
		if (c->inlen >= cap) {
			respond(z, c, 413, error_json("request too large"));
			return;
		}
		r = read(c->fd, c->in + c->inlen, cap - c->inlen);
		if (r == 0) {
			conn_close(z, c);
			return;
		}
		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			conn_close(z, c);
			return;
		}
		c->inlen += (size_t)r;
	}
	c->last = zts_now_ms();
	try_request(z, c);
}

static void conn_write(struct zts *z, struct api_conn *c)
{
	ssize_t w;

	while (c->outoff < c->outlen) {
		w = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);
		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			break;
		}
		c->outoff += (size_t)w;
	}
	conn_close(z, c);
}

void zts_api_event(struct zts *z, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct api_conn *c;
	int cfd, i;

	if (fd == listen_fd) {
		for (;;) {
			cfd = accept4(listen_fd, NULL, NULL,
				      SOCK_NONBLOCK | SOCK_CLOEXEC);
			if (cfd < 0)
				return;
			for (i = 0; i < API_MAX_CONNS && conns[i].fd >= 0; i++)
				;
			if (i == API_MAX_CONNS) {
				close(cfd);	/* too many: refuse */
				continue;
			}
			c = &conns[i];
			c->in = malloc(API_HDR_MAX + API_BODY_MAX + 1);
			if (!c->in) {
				close(cfd);
				continue;
			}
			c->fd = cfd;
			c->inlen = 0;
			c->last = zts_now_ms();
			ev.data.u64 = zts_tag(ZTS_TAG_API_CONN, (uint32_t)cfd);
			if (epoll_ctl(z->epfd, EPOLL_CTL_ADD, cfd, &ev))
				conn_close(z, c);
		}
	}
	c = conn_find(fd);
	if (!c)
		return;
	if (c->out) {
		if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			conn_write(z, c);
		return;
	}
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
		conn_read(z, c);
}

void zts_api_tick(struct zts *z, uint64_t now)
{
	int i;

	for (i = 0; i < API_MAX_CONNS; i++)
		if (conns[i].fd >= 0 && now - conns[i].last > API_IDLE_MS)
			conn_close(z, &conns[i]);
}
