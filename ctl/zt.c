// SPDX-License-Identifier: GPL-2.0
/*
 * ztbondctl zt: the zerotier-one processes behind a bond.
 *
 *   zt up --network NWID --count N [--bond NAME] [--home DIR]
 *         [--base-port P] [--zerotier-one PATH] [--central-token-file F]
 *         [--central-url URL] [--timeout SEC] [--no-bond]
 *         [--address CIDR]... [--config FILE] [--pin] [--foreground]
 *   zt down [--bond NAME] [--home DIR]
 *   zt status [--bond NAME] [--home DIR] [--json]
 *
 * Layout: DIR/NAME/state.json (what "up" set up, read by "down" and
 * "status") and DIR/NAME/member<i>/ (a zerotier-one home each: identity,
 * devicemap, networks.d, local.conf). Member i listens on base-port + i and
 * its tap is NAME-<i>. Everything the user typed is checked before anything
 * is created or started; a failure after processes were started stops the
 * ones this run started.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <dirent.h>
#include <json-c/json.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include "ztbondctl.h"
#include "zt.h"
#include "curl.h"
#include "config.h"

#define ZT_MAX_MEMBERS		64
#define ZT_DEFAULT_HOME		"/var/lib/ztbond"
#define ZT_DEFAULT_BOND		"ztbond0"
#define ZT_DEFAULT_PORT		19993
#define ZT_DEFAULT_CENTRAL	"https://api.zerotier.com"
#define ZT_DEFAULT_TIMEOUT	60
#define ZT_HTTP_MAX		(1 << 20)
#define ZT_MAX_ADDRS		16

struct zt_member {
	char home[PATH_MAX];
	char tap[IFNAMSIZ + 16];	/* NAME-<i>, length checked by up */
	unsigned int port;
	/* found out while running */
	pid_t pid;
	bool running, started;
	char node[16];
	char status[40];
	char mac[24];
	char dev[IFNAMSIZ];
	bool bridge, api_ok, tap_ok, fatal;
	char authtoken[128];
};

struct zt_cfg {
	char network[17];
	unsigned int count;
	char bond[IFNAMSIZ];
	char home[PATH_MAX - 128];	/* DIR */
	char dir[PATH_MAX - 64];	/* DIR/NAME */
	unsigned int base_port;
	char bin[PATH_MAX];
	const char *token_file;
	char token[256];
	const char *central_url;
	const char *config;		/* --config: local.conf for the bond */
	unsigned int timeout;
	bool no_bond, json, pin, foreground;
	bool bond_created, bond_new;
	unsigned int naddrs;
	struct zt_addr {
		int family;
		unsigned char addr[16];
		unsigned int plen;
		char text[INET6_ADDRSTRLEN + 8];
	} addrs[ZT_MAX_ADDRS];
	struct zt_member m[ZT_MAX_MEMBERS];
};

/* ---- small helpers ------------------------------------------------------- */

static int parse_uint(const char *opt, const char *s, unsigned long min,
		      unsigned long max, unsigned int *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *s == '-' || *s == '+' || errno || *end || v < min ||
	    v > max) {
		ztb_err("zt: %s \"%s\": want a number %lu..%lu", opt, s, min,
			max);
		return -1;
	}
	*out = (unsigned int)v;
	return 0;
}

static int read_file(const char *path, char *buf, size_t len)
{
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = read(fd, buf, len - 1);
	close(fd);
	if (r < 0)
		return -1;
	buf[r] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

static int write_file(const char *path, const char *data)
{
	char tmp[PATH_MAX + 16];
	size_t len = strlen(data);
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		goto fail;
	if (write(fd, data, len) != (ssize_t)len) {
		close(fd);
		goto fail;
	}
	if (close(fd) || rename(tmp, path))
		goto fail;
	return 0;
fail:
	ztb_err("zt: cannot write %s: %s", path, strerror(errno));
	unlink(tmp);
	return -1;
}

static int mkdir_one(const char *path)
{
	if (mkdir(path, 0700) && errno != EEXIST) {
		ztb_err("zt: cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int mkdir_p(const char *path)
{
	char p[PATH_MAX], *s;

	snprintf(p, sizeof(p), "%s", path);
	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) && errno != EEXIST) {
			ztb_err("zt: cannot create %s: %s", p, strerror(errno));
			return -1;
		}
		*s = '/';
	}
	return mkdir_one(p);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ---- HTTP (libcurl) -------------------------------------------------------- */

struct zt_buf {
	char *p;
	size_t len;
};

static size_t zt_curl_write(char *ptr, size_t size, size_t n, void *arg)
{
	struct zt_buf *b = arg;
	size_t add = size * n;
	char *np;

	if (b->len + add > ZT_HTTP_MAX)
		return 0;
	np = realloc(b->p, b->len + add + 1);
	if (!np)
		return 0;
	memcpy(np + b->len, ptr, add);
	b->p = np;
	b->len += add;
	b->p[b->len] = '\0';
	return add;
}

/*
 * One request. Returns the HTTP status (body in *out, caller frees) or -1
 * with a reason in err when there was no HTTP answer at all.
 */
static long zt_http(const char *method, const char *url, const char *auth_hdr,
		    const char *body, long timeout_ms, struct json_object **out,
		    char *err, size_t errlen)
{
	char ebuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *h = NULL;
	struct zt_buf b = { NULL, 0 };
	long code = -1;
	CURL *c;
	CURLcode rc;

	if (out)
		*out = NULL;
	c = ztb_curl.easy_init();
	if (!c) {
		snprintf(err, errlen, "cannot initialise libcurl");
		return -1;
	}
	if (auth_hdr)
		h = ztb_curl.slist_append(h, auth_hdr);
	if (body)
		h = ztb_curl.slist_append(h, "Content-Type: application/json");
	h = ztb_curl.slist_append(h, "Expect:");
	ztb_curl.easy_setopt(c, CURLOPT_URL, url);
	ztb_curl.easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	ztb_curl.easy_setopt(c, CURLOPT_HTTPHEADER, h);
	ztb_curl.easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	ztb_curl.easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	ztb_curl.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	ztb_curl.easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
	ztb_curl.easy_setopt(c, CURLOPT_WRITEFUNCTION, zt_curl_write);
	ztb_curl.easy_setopt(c, CURLOPT_WRITEDATA, &b);
	ztb_curl.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (body)
		ztb_curl.easy_setopt(c, CURLOPT_POSTFIELDS, body);
	rc = ztb_curl.easy_perform(c);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s", ebuf[0] ? ebuf : ztb_curl.easy_strerror(rc));
	} else {
		ztb_curl.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		if (out && b.p)
			*out = json_tokener_parse(b.p);
	}
	free(b.p);
	ztb_curl.slist_free_all(h);
	ztb_curl.easy_cleanup(c);
	return code;
}

/* GET/POST on a member's local API. */
static long zt_api(struct zt_member *m, const char *method, const char *path,
		   const char *body, struct json_object **out, char *err,
		   size_t errlen)
{
	char url[256], hdr[192];

	if (!m->authtoken[0]) {
		char p[PATH_MAX + 32];

		snprintf(p, sizeof(p), "%s/authtoken.secret", m->home);
		if (read_file(p, m->authtoken, sizeof(m->authtoken))) {
			snprintf(err, errlen, "no authtoken.secret yet");
			return -1;
		}
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", m->port, path);
	snprintf(hdr, sizeof(hdr), "X-ZT1-Auth: %s", m->authtoken);
	return zt_http(method, url, hdr, body, 2000, out, err, errlen);
}

static const char *jstr(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, k, &v) ||
	    json_object_get_type(v) != json_type_string)
		return NULL;
	return json_object_get_string(v);
}

/* ---- processes ------------------------------------------------------------- */

/* /proc/<pid>/<what>, NUL-terminated; its length or -1. */
static ssize_t proc_read(pid_t pid, const char *what, char *buf, size_t len)
{
	char p[64];
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "/proc/%d/%s", (int)pid, what);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/*
 * Is pid the zerotier-one of this member? Its executable must be the binary
 * we start and its last argument the member's home: never a process found
 * by name, never a pid that was reused by something else.
 */
static bool zt_is_member(const struct zt_cfg *c, const struct zt_member *m,
			 pid_t pid)
{
	char p[64], exe[PATH_MAX], args[8192], *last, *s;
	ssize_t n;

	if (pid <= 1)
		return false;
	snprintf(p, sizeof(p), "/proc/%d/exe", (int)pid);
	n = readlink(p, exe, sizeof(exe) - 1);
	if (n < 0)
		return false;
	exe[n] = '\0';
	s = strstr(exe, " (deleted)");
	if (s && !s[10])
		*s = '\0';
	if (strcmp(exe, c->bin))
		return false;
	n = proc_read(pid, "cmdline", args, sizeof(args));
	if (n <= 0)
		return false;
	if (args[n - 1] == '\0')
		n--;
	args[n] = '\0';
	last = memrchr(args, '\0', (size_t)n);
	last = last ? last + 1 : args;
	return !strcmp(last, m->home);
}

static bool proc_gone(pid_t pid)
{
	char st[256], *r;

	if (kill(pid, 0) && errno == ESRCH)
		return true;
	if (proc_read(pid, "stat", st, sizeof(st)) <= 0)
		return true;
	r = strrchr(st, ')');
	return r && r[1] == ' ' && r[2] == 'Z';
}

/* Refresh m->pid / m->running from the pid file and /proc. */
static void zt_probe(const struct zt_cfg *c, struct zt_member *m)
{
	char p[PATH_MAX + 32], buf[32];

	m->pid = 0;
	m->running = false;
	snprintf(p, sizeof(p), "%s/zerotier-one.pid", m->home);
	if (read_file(p, buf, sizeof(buf)))
		return;
	m->pid = (pid_t)atoi(buf);
	m->running = zt_is_member(c, m, m->pid) && !proc_gone(m->pid);
}

static int zt_stop(const struct zt_cfg *c, struct zt_member *m, int i)
{
	double end;

	zt_probe(c, m);
	if (!m->running)
		return 0;
	kill(m->pid, SIGTERM);
	for (end = now_s() + 10; now_s() < end; sleep_ms(50))
		if (proc_gone(m->pid))
			goto gone;
	fprintf(stderr, "member %d: pid %d ignored SIGTERM for 10 s, SIGKILL\n",
		i, (int)m->pid);
	if (zt_is_member(c, m, m->pid))
		kill(m->pid, SIGKILL);
	for (end = now_s() + 5; now_s() < end; sleep_ms(50))
		if (proc_gone(m->pid))
			goto gone;
	ztb_err("zt: member %d: pid %d does not stop", i, (int)m->pid);
	return -1;
gone:
	m->running = false;
	/* the tap goes with its process */
	for (end = now_s() + 5; now_s() < end && if_nametoindex(m->tap);
	     sleep_ms(50))
		;
	if (if_nametoindex(m->tap)) {
		ztb_err("zt: member %d: tap %s still exists after its process stopped",
			i, m->tap);
		return -1;
	}
	return 0;
}

/* The n-th CPU (mod their count) of those we may run on; -1 if none. */
static int zt_cpu(unsigned int n)
{
	cpu_set_t set;
	int cpu, count;

	if (sched_getaffinity(0, sizeof(set), &set))
		return -1;
	count = CPU_COUNT(&set);
	if (!count)
		return -1;
	n %= (unsigned int)count;
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &set) && !n--)
			return cpu;
	return -1;
}

/* Pin every thread of pid (0: ourselves) to one CPU. */
static int zt_pin(pid_t pid, int cpu)
{
	char path[64];
	struct dirent *de;
	cpu_set_t set;
	int ret = 0;
	DIR *d;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (!pid)
		return sched_setaffinity(0, sizeof(set), &set);
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' &&
		    sched_setaffinity((pid_t)atoi(de->d_name), sizeof(set), &set))
			ret = -1;
	closedir(d);
	return ret;
}

static int zt_start(const struct zt_cfg *c, struct zt_member *m, int i)
{
	char port[16], log[PATH_MAX + 32], p[PATH_MAX + 32];
	sigset_t empty;
	int status, fd;
	double end;
	pid_t pid;

	sigemptyset(&empty);
	snprintf(port, sizeof(port), "-p%u", m->port);
	snprintf(log, sizeof(log), "%s/zerotier-one.log", m->home);
	snprintf(p, sizeof(p), "%s/zerotier-one.pid", m->home);
	unlink(p);	/* stale: its process is gone (zt_probe said so) */
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		ztb_err("zt: fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0)
			dup2(fd, 0);
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		sigprocmask(SIG_SETMASK, &empty, NULL);	/* --foreground blocks some */
		if (c->pin && zt_pin(0, zt_cpu((unsigned int)i)))
			fprintf(stderr, "cannot pin to CPU %d: %s\n",
				zt_cpu((unsigned int)i), strerror(errno));
		execl(c->bin, c->bin, "-U", "-d", port, m->home, (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", c->bin, strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		ztb_err("zt: member %d: %s -d exited with status %d; see %s",
			i, c->bin, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
			log);
		return -1;
	}
	m->started = true;
	for (end = now_s() + 10; now_s() < end; sleep_ms(50)) {
		zt_probe(c, m);
		if (m->running)
			return 0;
	}
	ztb_err("zt: member %d: no running zerotier-one with a pid file in %s after 10 s; see %s",
		i, m->home, log);
	return -1;
}

/* ---- member homes ---------------------------------------------------------- */

static int zt_prepare_home(const struct zt_cfg *c, struct zt_member *m)
{
	struct json_object *lc, *set, *bl;
	char p[PATH_MAX + 64], buf[256];
	const char *s;

	if (mkdir_one(m->home))
		return -1;
	snprintf(p, sizeof(p), "%s/devicemap", m->home);
	snprintf(buf, sizeof(buf), "%s=%s\n", c->network, m->tap);
	if (write_file(p, buf))
		return -1;
	snprintf(p, sizeof(p), "%s/networks.d", m->home);
	if (mkdir_one(p))
		return -1;
	snprintf(p, sizeof(p), "%s/networks.d/%s.conf", m->home, c->network);
	if (access(p, F_OK) && write_file(p, ""))
		return -1;
	snprintf(p, sizeof(p), "%s/networks.d/%s.local.conf", m->home,
		 c->network);
	if (write_file(p, "allowManaged=0\nallowGlobal=0\nallowDefault=0\nallowDNS=0\n"))
		return -1;
	/*
	 * local.conf: our port, and keep the member's UDP off the bond and
	 * the taps (their names start with the bond's name). Other settings
	 * an operator put there are kept.
	 */
	snprintf(p, sizeof(p), "%s/local.conf", m->home);
	lc = access(p, F_OK) ? json_object_new_object() : json_object_from_file(p);
	if (!lc || json_object_get_type(lc) != json_type_object) {
		ztb_err("zt: %s is not a JSON object; fix or remove it", p);
		json_object_put(lc);
		return -1;
	}
	if (!json_object_object_get_ex(lc, "settings", &set) ||
	    json_object_get_type(set) != json_type_object) {
		set = json_object_new_object();
		json_object_object_add(lc, "settings", set);
	}
	json_object_object_add(set, "primaryPort", json_object_new_int((int)m->port));
	bl = json_object_new_array();
	json_object_array_add(bl, json_object_new_string(c->bond));
	json_object_object_add(set, "interfacePrefixBlacklist", bl);
	s = json_object_to_json_string_ext(lc, JSON_C_TO_STRING_PRETTY);
	if (write_file(p, s)) {
		json_object_put(lc);
		return -1;
	}
	json_object_put(lc);
	return 0;
}

/* ---- state file -------------------------------------------------------------- */

static int zt_save_state(const struct zt_cfg *c)
{
	struct json_object *o = json_object_new_object();
	char p[PATH_MAX + 32];
	int ret;

	json_object_object_add(o, "network", json_object_new_string(c->network));
	json_object_object_add(o, "count", json_object_new_int((int)c->count));
	json_object_object_add(o, "bond", json_object_new_string(c->bond));
	json_object_object_add(o, "basePort", json_object_new_int((int)c->base_port));
	json_object_object_add(o, "zerotierOne", json_object_new_string(c->bin));
	json_object_object_add(o, "bondCreated", json_object_new_boolean(c->bond_created));
	json_object_object_add(o, "noBond", json_object_new_boolean(c->no_bond));
	snprintf(p, sizeof(p), "%s/state.json", c->dir);
	ret = write_file(p, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
	json_object_put(o);
	return ret;
}

static void zt_layout(struct zt_cfg *c)
{
	unsigned int i;

	snprintf(c->dir, sizeof(c->dir), "%s/%s", c->home, c->bond);
	for (i = 0; i < c->count; i++) {
		struct zt_member *m = &c->m[i];

		snprintf(m->home, sizeof(m->home), "%s/member%u", c->dir, i);
		snprintf(m->tap, sizeof(m->tap), "%s-%u", c->bond, i);
		m->port = c->base_port + i;
	}
}

/* Load DIR/NAME/state.json into c; 1 if there is none, -1 on error. */
static int zt_load_state(struct zt_cfg *c)
{
	struct json_object *o, *v;
	char p[PATH_MAX + 32];
	const char *s;

	snprintf(p, sizeof(p), "%s/%s/state.json", c->home, c->bond);
	if (access(p, F_OK))
		return 1;
	o = json_object_from_file(p);
	if (!o || json_object_get_type(o) != json_type_object)
		goto bad;
	s = jstr(o, "network");
	if (!s || strlen(s) != 16)
		goto bad;
	strcpy(c->network, s);
	s = jstr(o, "zerotierOne");
	if (!s || strlen(s) >= sizeof(c->bin))
		goto bad;
	strcpy(c->bin, s);
	if (!json_object_object_get_ex(o, "count", &v))
		goto bad;
	c->count = (unsigned int)json_object_get_int(v);
	if (!json_object_object_get_ex(o, "basePort", &v))
		goto bad;
	c->base_port = (unsigned int)json_object_get_int(v);
	if (c->count < 1 || c->count > ZT_MAX_MEMBERS || !c->base_port ||
	    c->base_port + c->count - 1 > 65535)
		goto bad;
	c->bond_created = json_object_object_get_ex(o, "bondCreated", &v) &&
			  json_object_get_boolean(v);
	c->no_bond = json_object_object_get_ex(o, "noBond", &v) &&
		     json_object_get_boolean(v);
	json_object_put(o);
	zt_layout(c);
	return 0;
bad:
	json_object_put(o);
	ztb_err("zt: %s is damaged; remove it to start over (identities are kept)",
		p);
	return -1;
}

/* ---- the bond (generic netlink; needs the ztbond module) ------------------- */

struct zt_nlreq {
	uint8_t cmd;
	const char *bond, *link;
};

static int zt_nl(uint8_t cmd, const char *bond, const char *link,
		 ztb_msg_fn fn, void *arg)
{
	struct ztb_nl *nl = ztb_nl_open();
	struct nl_msg *msg;
	struct nlattr *nest;
	int err;

	if (!nl)
		return -1;
	msg = ztb_nl_req(nl, cmd, false);
	if (!msg || nla_put_string(msg, ZTBOND_A_IFNAME, bond) < 0)
		goto nomem;
	if (link) {
		nest = nla_nest_start(msg, ZTBOND_A_LINK);
		if (!nest || nla_put_string(msg, ZTBOND_LINK_A_IFNAME, link) < 0)
			goto nomem;
		nla_nest_end(msg, nest);
	}
	err = ztb_nl_exec(nl, msg, fn, arg, link ? link : bond);
	ztb_nl_close(nl);
	return err;
nomem:
	if (msg)
		nlmsg_free(msg);
	ztb_err("out of memory building the request");
	ztb_nl_close(nl);
	return -1;
}

static int zt_bond_get(const char *bond, struct ztb_bondlist *l)
{
	memset(l, 0, sizeof(*l));
	return zt_nl(ZTBOND_CMD_BOND_GET, bond, NULL, ztb_collect_bond, l);
}

static const struct ztb_obj *zt_bond_link(const struct ztb_bondlist *l,
					  const char *tap)
{
	unsigned int i;

	if (l->n != 1)
		return NULL;
	for (i = 0; i < l->b[0].nlinks; i++) {
		const char *n = l->b[0].links[i].str[ZTBOND_LINK_A_IFNAME];

		if (n && !strcmp(n, tap))
			return &l->b[0].links[i];
	}
	return NULL;
}

static int zt_set_up(const char *ifname)
{
	struct ifreq ifr = { 0 };
	int s, ret = 0;

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		ret = ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	if (ret)
		ztb_err("zt: cannot set %s up: %s", ifname, strerror(errno));
	close(s);
	return ret;
}

/* Create the bond if it is missing and enslave every tap not in it yet. */
static int zt_bond_up(struct zt_cfg *c)
{
	struct ztb_bondlist l;
	unsigned int i;
	int ret = 0;

	if (!if_nametoindex(c->bond)) {
		if (zt_nl(ZTBOND_CMD_BOND_NEW, c->bond, NULL, NULL, NULL))
			return -1;
		c->bond_created = true;
		c->bond_new = true;
		if (zt_save_state(c))
			return -1;
		printf("bond %s created\n", c->bond);
	}
	if (zt_bond_get(c->bond, &l)) {
		ztb_err("zt: %s exists but is not a ztbond device", c->bond);
		return -1;
	}
	for (i = 0; i < c->count && !ret; i++) {
		if (zt_bond_link(&l, c->m[i].tap))
			continue;
		ret = zt_nl(ZTBOND_CMD_LINK_ADD, c->bond, c->m[i].tap, NULL, NULL);
		if (!ret)
			printf("member %u: %s enslaved to %s\n", i, c->m[i].tap,
			       c->bond);
	}
	ztb_bondlist_free(&l);
	if (!ret)
		ret = zt_set_up(c->bond);
	return ret;
}

/* CIDR: an IPv4 or IPv6 address and its prefix length. */
static int zt_parse_addr(const char *s, struct zt_addr *a)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash;
	unsigned int max;

	if (strlen(s) >= sizeof(buf))
		goto bad;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (!slash)
		goto bad;
	*slash = '\0';
	if (inet_pton(AF_INET, buf, a->addr) == 1) {
		a->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, a->addr) == 1) {
		a->family = AF_INET6;
		max = 128;
	} else {
		goto bad;
	}
	if (parse_uint("--address prefix", slash + 1, 0, max, &a->plen))
		return -1;
	snprintf(a->text, sizeof(a->text), "%s", s);
	return 0;
bad:
	ztb_err("zt up: --address \"%s\": want ADDRESS/PREFIX (IPv4 or IPv6)", s);
	return -1;
}

/* Add (or refresh: NLM_F_REPLACE makes it idempotent) an address. */
static int zt_addr_add(const char *ifname, const struct zt_addr *a)
{
	struct ifaddrmsg ifa = {
		.ifa_family = (unsigned char)a->family,
		.ifa_prefixlen = (unsigned char)a->plen,
		.ifa_index = if_nametoindex(ifname),
	};
	int len = a->family == AF_INET ? 4 : 16, err = -NLE_NOMEM;
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_msg *msg = NULL;

	if (!sk)
		goto out;
	err = nl_connect(sk, NETLINK_ROUTE);
	if (err < 0)
		goto out;
	msg = nlmsg_alloc_simple(RTM_NEWADDR, NLM_F_REQUEST | NLM_F_CREATE |
				 NLM_F_REPLACE | NLM_F_ACK);
	err = -NLE_NOMEM;
	if (!msg || nlmsg_append(msg, &ifa, sizeof(ifa), NLMSG_ALIGNTO) < 0 ||
	    nla_put(msg, IFA_LOCAL, len, a->addr) < 0 ||
	    nla_put(msg, IFA_ADDRESS, len, a->addr) < 0)
		goto out;
	err = nl_send_sync(sk, msg);	/* frees msg */
	msg = NULL;
out:
	nlmsg_free(msg);
	nl_socket_free(sk);
	if (err < 0) {
		ztb_err("zt: cannot add address %s to %s: %s", a->text, ifname,
			nl_geterror(err));
		return -1;
	}
	return 0;
}

/* ---- waiting for members ------------------------------------------------------ */

enum zt_stage {
	ZT_STAGE_API,		/* the local API answers: node id known */
	ZT_STAGE_READY,		/* network OK, tap with its MAC (and bridge) */
};

/*
 * One look at a member: true when it has reached the stage; what says what
 * it waits for (or that it is ready). m->fatal: it never will.
 */
static bool zt_check_ready(struct zt_cfg *c, struct zt_member *m,
			   enum zt_stage stage, char *what, size_t len)
{
	struct json_object *o = NULL;
	char err[256], path[64], sysmac[64], p[96];
	const char *s;
	long code;

	zt_probe(c, m);
	if (!m->running) {
		snprintf(what, len, "the process (not running; see zerotier-one.log in member%d)",
			 (int)(m - c->m));
		return false;
	}
	code = zt_api(m, "GET", "/status", NULL, &o, err, sizeof(err));
	if (code != 200 || !(s = jstr(o, "address"))) {
		snprintf(what, len, "local API on port %u: %s", m->port,
			 code < 0 ? err : "no address in /status");
		json_object_put(o);
		return false;
	}
	snprintf(m->node, sizeof(m->node), "%s", s);
	json_object_put(o);
	m->api_ok = true;
	if (stage == ZT_STAGE_API) {
		snprintf(what, len, "local API answers: node %s", m->node);
		return true;
	}
	snprintf(path, sizeof(path), "/network/%s", c->network);
	code = zt_api(m, "GET", path, NULL, &o, err, sizeof(err));
	if (code != 200) {
		snprintf(what, len, "network %s: %s", c->network,
			 code < 0 ? err : "not joined");
		json_object_put(o);
		return false;
	}
	snprintf(m->status, sizeof(m->status), "%s", jstr(o, "status") ?: "?");
	snprintf(m->mac, sizeof(m->mac), "%s", jstr(o, "mac") ?: "");
	snprintf(m->dev, sizeof(m->dev), "%s", jstr(o, "portDeviceName") ?: "");
	{
		struct json_object *b;

		m->bridge = json_object_object_get_ex(o, "bridge", &b) &&
			    json_object_get_boolean(b);
	}
	json_object_put(o);
	if (!strcmp(m->status, "PORT_ERROR")) {
		snprintf(what, len, "its tap: it could not create one (PORT_ERROR; see member%d/zerotier-one.log)",
			 (int)(m - c->m));
		m->fatal = true;
		return false;
	}
	if (strcmp(m->status, "OK")) {
		snprintf(what, len, "network status %s", m->status);
		return false;
	}
	if (strcmp(m->dev, m->tap)) {
		snprintf(what, len, "tap is \"%s\", not %s (name taken?)",
			 m->dev, m->tap);
		return false;
	}
	snprintf(p, sizeof(p), "/sys/class/net/%s/address", m->tap);
	if (read_file(p, sysmac, sizeof(sysmac)) || strcasecmp(sysmac, m->mac)) {
		snprintf(what, len, "tap %s without its MAC %s yet", m->tap,
			 m->mac);
		return false;
	}
	m->tap_ok = true;
	if (c->token[0] && !m->bridge) {
		snprintf(what, len, "activeBridge from Central (node %s)",
			 m->node);
		return false;
	}
	snprintf(what, len, "ready: node %s, tap %s %s%s", m->node, m->tap,
		 m->mac, m->bridge ? ", bridge" : "");
	return true;
}

/*
 * Wait until every member (or only member "only", when >= 0: a restart,
 * polled faster since the bond waits for it) reaches stage.
 */
static int zt_wait(struct zt_cfg *c, enum zt_stage stage, double end,
		   int only)
{
	static char what[ZT_MAX_MEMBERS][320];
	bool ready[ZT_MAX_MEMBERS] = { false };
	unsigned int i, n = 0, nfatal = 0, want = c->count;
	char now[320];

	memset(what, 0, sizeof(what));
	if (only >= 0) {
		for (i = 0; i < c->count; i++)
			ready[i] = (int)i != only;
		n = want - 1;
	}
	for (;;) {
		for (i = 0; i < c->count; i++) {
			if (ready[i] || c->m[i].fatal)
				continue;
			ready[i] = zt_check_ready(c, &c->m[i], stage, now,
						  sizeof(now));
			n += ready[i];
			nfatal += c->m[i].fatal;
			if (strcmp(now, what[i])) {
				printf("member %u (port %u): %s\n", i,
				       c->m[i].port, now);
				fflush(stdout);
				strcpy(what[i], now);
			}
		}
		if (n == want)
			return 0;
		if (n + nfatal == want || now_s() > end)
			break;
		sleep_ms(only >= 0 ? 50 : 200);
	}
	if (nfatal)
		ztb_err("zt: %u of %u members cannot become ready:", nfatal,
			c->count);
	else
		ztb_err("zt: timed out after %u s; %u of %u members ready:",
			c->timeout, n, c->count);
	for (i = 0; i < c->count; i++)
		if (!ready[i])
			fprintf(stderr, "  member %u (port %u, %s): waiting for %s\n",
				i, c->m[i].port, c->m[i].home, what[i]);
	return -1;
}

/* ---- Central ---------------------------------------------------------------- */

static int zt_central(struct zt_cfg *c, const char *method, const char *path,
		      const char *body, const char *what)
{
	char url[1024], hdr[320], err[CURL_ERROR_SIZE + 64];
	long code;

	snprintf(url, sizeof(url), "%s/api/v1/network/%s%s", c->central_url,
		 c->network, path);
	snprintf(hdr, sizeof(hdr), "Authorization: token %s", c->token);
	code = zt_http(method, url, hdr, body, 10000, NULL, err, sizeof(err));
	if (code < 0) {
		ztb_err("zt: Central at %s unreachable (%s): %s", c->central_url,
			what, err);
		return -1;
	}
	if (code == 401 || code == 403) {
		ztb_err("zt: Central rejected the token from %s (HTTP %ld, %s)",
			c->token_file, code, what);
		return -1;
	}
	if (code != 200) {
		ztb_err("zt: Central answered HTTP %ld to %s %s", code, method,
			url);
		return -1;
	}
	return 0;
}

static int zt_set_bridges(struct zt_cfg *c)
{
	char path[64], body[160];
	unsigned int i;

	for (i = 0; i < c->count; i++) {
		snprintf(path, sizeof(path), "/member/%s", c->m[i].node);
		snprintf(body, sizeof(body),
			 "{\"name\":\"%s-%u\",\"config\":{\"activeBridge\":true,\"authorized\":true}}",
			 c->bond, i);
		if (zt_central(c, "POST", path, body, "setting activeBridge"))
			return -1;
		printf("member %u: node %s set as active bridge in Central\n",
		       i, c->m[i].node);
	}
	return 0;
}

/* ---- command lines ------------------------------------------------------------- */

static int zt_find_bin(struct zt_cfg *c, const char *arg)
{
	const char *path = getenv("PATH");
	char cand[PATH_MAX];
	const char *p, *e;

	if (arg) {
		if (!realpath(arg, c->bin) || access(c->bin, X_OK)) {
			ztb_err("zt: --zerotier-one %s: not an executable file (%s)",
				arg, strerror(errno));
			return -1;
		}
		return 0;
	}
	for (p = path ? path : "/usr/sbin:/usr/bin"; *p; p = *e ? e + 1 : e) {
		e = strchrnul(p, ':');
		snprintf(cand, sizeof(cand), "%.*s/zerotier-one", (int)(e - p), p);
		if (!access(cand, X_OK) && realpath(cand, c->bin))
			return 0;
	}
	ztb_err("zt: zerotier-one not found in PATH; install it or give --zerotier-one PATH");
	return -1;
}

/* Are TCP (the API) and UDP port free on every address? */
static bool zt_port_free(unsigned int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int types[2] = { SOCK_STREAM, SOCK_DGRAM }, i, s, one = 1;
	bool ok = true;

	a.sin_port = htons((uint16_t)port);
	for (i = 0; i < 2 && ok; i++) {
		s = socket(AF_INET, types[i] | SOCK_CLOEXEC, 0);
		if (s < 0)
			return false;
		if (types[i] == SOCK_STREAM)
			setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		ok = !bind(s, (struct sockaddr *)&a, sizeof(a));
		close(s);
	}
	return ok;
}

struct zt_args {
	const char *network, *count, *bond, *home, *port, *bin, *token_file;
	const char *central_url, *timeout, *config;
	const char *addrs[ZT_MAX_ADDRS];
	unsigned int naddrs;
	bool no_bond, json, pin, foreground;
};

static int zt_parse(const char *cmd, int argc, char **argv, struct zt_args *a)
{
	static const char *const up_opts[] = {
		"--network", "--count", "--bond", "--home", "--base-port",
		"--zerotier-one", "--central-token-file", "--central-url",
		"--timeout", "--config", NULL,
	};
	bool up = !strcmp(cmd, "up");
	const char **slot[] = {
		&a->network, &a->count, &a->bond, &a->home, &a->port, &a->bin,
		&a->token_file, &a->central_url, &a->timeout, &a->config,
	};
	int i, k;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < argc; i++) {
		const char *o = argv[i];

		if (up && !strcmp(o, "--no-bond")) {
			a->no_bond = true;
			continue;
		}
		if (up && !strcmp(o, "--pin")) {
			a->pin = true;
			continue;
		}
		if (up && !strcmp(o, "--foreground")) {
			a->foreground = true;
			continue;
		}
		if (up && !strcmp(o, "--address")) {
			if (i + 1 >= argc) {
				ztb_err("zt up: --address needs a value");
				return -1;
			}
			if (a->naddrs == ZT_MAX_ADDRS) {
				ztb_err("zt up: at most %d --address", ZT_MAX_ADDRS);
				return -1;
			}
			a->addrs[a->naddrs++] = argv[++i];
			continue;
		}
		if (!strcmp(cmd, "status") && (!strcmp(o, "--json") || !strcmp(o, "-j"))) {
			a->json = true;
			continue;
		}
		for (k = 0; up_opts[k]; k++)
			if (!strcmp(o, up_opts[k]))
				break;
		if (!up_opts[k] || (!up && k != 2 && k != 3)) {
			ztb_err("zt %s: unknown option \"%s\" (see " ZTB_PROG
				" zt --help)", cmd, o);
			return -1;
		}
		if (i + 1 >= argc) {
			ztb_err("zt %s: %s needs a value", cmd, o);
			return -1;
		}
		if (*slot[k]) {
			ztb_err("zt %s: %s given twice", cmd, o);
			return -1;
		}
		*slot[k] = argv[++i];
	}
	return 0;
}

static int zt_common(struct zt_cfg *c, const struct zt_args *a)
{
	const char *bond = a->bond ? a->bond : ZT_DEFAULT_BOND;
	const char *home = a->home ? a->home : ZT_DEFAULT_HOME;

	if (ztb_check_ifname(bond))
		return -1;
	if (home[0] != '/' || strlen(home) >= sizeof(c->home) - IFNAMSIZ) {
		ztb_err("zt: --home \"%s\": want an absolute path", home);
		return -1;
	}
	snprintf(c->bond, sizeof(c->bond), "%s", bond);
	snprintf(c->home, sizeof(c->home), "%s", home);
	return 0;
}

static void zt_rollback(struct zt_cfg *c)
{
	unsigned int i;

	for (i = 0; i < c->count; i++) {
		if (!c->m[i].started)
			continue;
		fprintf(stderr, "member %u: stopping it again (this run started it)\n",
			i);
		zt_stop(c, &c->m[i], (int)i);
	}
}

/* Delete the bond if up created it, stop the members, forget the state. */
static int zt_teardown(struct zt_cfg *c)
{
	char p[PATH_MAX + 32];
	unsigned int i;
	int ret = 0;

	if (c->bond_created && if_nametoindex(c->bond)) {
		if (zt_nl(ZTBOND_CMD_BOND_DEL, c->bond, NULL, NULL, NULL))
			return -1;
		printf("bond %s deleted\n", c->bond);
	}
	for (i = 0; i < c->count; i++) {
		zt_probe(c, &c->m[i]);
		if (!c->m[i].running) {
			if (if_nametoindex(c->m[i].tap)) {
				ztb_err("zt down: member %u is not running but %s exists; not touching it",
					i, c->m[i].tap);
				ret = -1;
			}
			continue;
		}
		if (zt_stop(c, &c->m[i], (int)i)) {
			ret = -1;
			continue;
		}
		printf("member %u: pid %d stopped\n", i, (int)c->m[i].pid);
	}
	if (ret)
		return -1;
	snprintf(p, sizeof(p), "%s/state.json", c->dir);
	unlink(p);
	printf("down: %s (identities kept in %s)\n", c->bond, c->dir);
	return 0;
}

static void zt_log(const char *fmt, ...) ZTB_PRINTF(1, 2);

/* A timestamped line for --foreground's log (stdout, e.g. the journal). */
static void zt_log(const char *fmt, ...)
{
	char ts[32];
	time_t t = time(NULL);
	va_list ap;

	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", localtime(&t));
	printf("%s ", ts);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/*
 * --foreground: every 250 ms, restart a member whose process is gone (same
 * home, so same identity and tap name), wait until it is ready and
 * re-enslave its tap; SIGTERM, SIGINT or SIGHUP tear everything down.
 */
static int zt_supervise(struct zt_cfg *c, const sigset_t *sigs)
{
	struct timespec tick = { 0, 250000000L };
	unsigned int i;
	int sig;

	zt_log("supervising %u members of %s", c->count, c->bond);
	for (;;) {
		sig = sigtimedwait(sigs, NULL, &tick);
		if (sig > 0)
			break;
		for (i = 0; i < c->count; i++) {
			struct zt_member *m = &c->m[i];

			zt_probe(c, m);
			if (m->running)
				continue;
			zt_log("member %u (node %s): process gone; restarting",
			       i, m->node);
			m->fatal = false;
			if (zt_start(c, m, (int)i) ||
			    zt_wait(c, ZT_STAGE_READY, now_s() + c->timeout,
				    (int)i)) {
				zt_log("member %u: restart failed; retrying", i);
				continue;
			}
			if (!c->no_bond && zt_bond_up(c)) {
				zt_log("member %u: re-enslaving %s failed; retrying",
				       i, m->tap);
				continue;
			}
			/* the new tap gets its link settings again */
			if (c->config && ztb_config_apply_file(c->bond, c->config, c->network))
				zt_log("member %u: applying %s to %s failed",
				       i, c->config, c->bond);
			zt_log("member %u: back as pid %d%s%s", i, (int)m->pid,
			       c->no_bond ? "" : ", tap re-enslaved to ",
			       c->no_bond ? "" : c->bond);
		}
	}
	zt_log("signal %d: stopping", sig);
	return zt_teardown(c) ? 1 : 0;
}

static int zt_up(int argc, char **argv)
{
	static struct zt_cfg c, old;
	struct zt_args a;
	unsigned int i, n;
	sigset_t sigs;
	double end;
	int have;

	if (zt_parse("up", argc, argv, &a) || zt_common(&c, &a))
		return 1;
	if (!a.network || !a.count) {
		ztb_err("zt up: --network NWID and --count N are required");
		return 1;
	}
	if (strlen(a.network) != 16 ||
	    strspn(a.network, "0123456789abcdefABCDEF") != 16) {
		ztb_err("zt up: --network \"%s\": a network id is 16 hex digits",
			a.network);
		return 1;
	}
	for (i = 0; i < 16; i++)
		c.network[i] = (char)(a.network[i] | 0x20);	/* lower case */
	if (parse_uint("--count", a.count, 1, ZT_MAX_MEMBERS, &c.count))
		return 1;
	c.base_port = ZT_DEFAULT_PORT;
	if (a.port && parse_uint("--base-port", a.port, 1, 65535, &c.base_port))
		return 1;
	if (c.base_port + c.count - 1 > 65535) {
		ztb_err("zt up: --base-port %u with --count %u goes past port 65535",
			c.base_port, c.count);
		return 1;
	}
	c.timeout = ZT_DEFAULT_TIMEOUT;
	if (a.timeout && parse_uint("--timeout", a.timeout, 1, 3600, &c.timeout))
		return 1;
	if (strlen(c.bond) + 1 + (c.count > 10 ? 2 : 1) >= IFNAMSIZ) {
		ztb_err("zt up: bond name \"%s\" too long: taps are named %s-<i> (at most %d characters)",
			c.bond, c.bond, IFNAMSIZ - 1);
		return 1;
	}
	c.no_bond = a.no_bond;
	c.pin = a.pin;
	c.foreground = a.foreground;
	if (a.naddrs && c.no_bond) {
		ztb_err("zt up: --address needs the bond; it cannot go with --no-bond");
		return 1;
	}
	for (i = 0; i < a.naddrs; i++)
		if (zt_parse_addr(a.addrs[i], &c.addrs[i]))
			return 1;
	if (a.config && c.no_bond) {
		ztb_err("zt up: --config configures the bond; it cannot go with --no-bond");
		return 1;
	}
	/* a bad file stops "up" before any process starts */
	if (a.config && ztb_config_check_file(a.config))
		return 1;
	c.config = a.config;
	c.naddrs = a.naddrs;
	c.central_url = a.central_url ? a.central_url : ZT_DEFAULT_CENTRAL;
	if (strncmp(c.central_url, "http://", 7) &&
	    strncmp(c.central_url, "https://", 8)) {
		ztb_err("zt up: --central-url %s: want http:// or https://",
			c.central_url);
		return 1;
	}
	if (a.token_file) {
		c.token_file = a.token_file;
		if (read_file(a.token_file, c.token, sizeof(c.token)) || !c.token[0]) {
			ztb_err("zt up: --central-token-file %s: %s", a.token_file,
				errno ? strerror(errno) : "empty");
			return 1;
		}
	} else if (a.central_url) {
		ztb_err("zt up: --central-url needs --central-token-file");
		return 1;
	}
	if (zt_find_bin(&c, a.bin))
		return 1;
	zt_layout(&c);

	/* An earlier "up" of this bond must agree with this one. */
	memcpy(old.home, c.home, sizeof(c.home));
	memcpy(old.bond, c.bond, sizeof(c.bond));
	have = zt_load_state(&old);
	if (have < 0)
		return 1;
	if (have == 0 && (strcmp(old.network, c.network) ||
			  old.count != c.count || old.base_port != c.base_port ||
			  strcmp(old.bin, c.bin) || old.no_bond != c.no_bond)) {
		ztb_err("zt up: %s is already up with network %s, %u members from port %u, %s%s; run \"" ZTB_PROG " zt down --bond %s\" first",
			c.bond, old.network, old.count, old.base_port, old.bin,
			old.no_bond ? ", --no-bond" : "", c.bond);
		return 1;
	}
	c.bond_created = have == 0 && old.bond_created;

	/* Which members run already; are the ports of the others free? */
	for (i = 0, n = 0; i < c.count; i++) {
		zt_probe(&c, &c.m[i]);
		if (c.m[i].running) {
			n++;
			continue;
		}
		if (!zt_port_free(c.m[i].port)) {
			ztb_err("zt up: port %u (member %u) is in use; choose another --base-port",
				c.m[i].port, i);
			return 1;
		}
		if (if_nametoindex(c.m[i].tap)) {
			ztb_err("zt up: interface %s (member %u's tap) exists but member %u is not running",
				c.m[i].tap, i, i);
			return 1;
		}
	}
	if (c.token[0] &&
	    zt_central(&c, "GET", "", NULL, "checking the token"))
		return 1;

	/*
	 * --foreground: the signals that stop us are taken synchronously
	 * (zt_supervise); a signal during start-up waits until then.
	 */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	if (c.foreground)
		sigprocmask(SIG_BLOCK, &sigs, NULL);

	/* From here on, things are created. */
	if (mkdir_p(c.dir) || zt_save_state(&c))
		return 1;
	if (n)
		printf("%u of %u members already running\n", n, c.count);
	for (i = 0; i < c.count; i++) {
		struct zt_member *m = &c.m[i];

		if (zt_prepare_home(&c, m))
			goto fail;
		if (m->running)
			continue;
		if (zt_start(&c, m, (int)i))
			goto fail;
		printf("member %u: started pid %d on port %u (%s)\n", i,
		       (int)m->pid, m->port, m->home);
	}
	end = now_s() + c.timeout;
	if (zt_wait(&c, ZT_STAGE_API, end, -1))
		goto fail;
	/* bridging (and authorization on private networks) first: a member
	 * of a private network reaches OK only once authorized */
	if (c.token[0] && zt_set_bridges(&c))
		goto fail;
	if (zt_wait(&c, ZT_STAGE_READY, end, -1))
		goto fail;
	if (!c.token[0]) {
		for (i = 0; i < c.count && c.m[i].bridge; i++)
			;
		if (i < c.count)
			fprintf(stderr,
				"warning: no --central-token-file: member %u (node %s) is not an active bridge, so ZeroTier delivers to it only frames for its own MAC; IPv4 clients cannot resolve an address on the bond (ARP) and the bond's MAC is unreachable; set activeBridge for each member in Central\n",
				i, c.m[i].node);
	}
	if (!c.no_bond && zt_bond_up(&c))
		goto fail;
	if (c.config && ztb_config_apply_file(c.bond, c.config, c.network))
		goto fail;
	for (i = 0; i < c.naddrs; i++) {
		if (zt_addr_add(c.bond, &c.addrs[i]))
			goto fail;
		printf("address %s on %s\n", c.addrs[i].text, c.bond);
	}
	for (i = 0; c.pin && i < c.count; i++) {
		if (c.m[i].started)
			continue;	/* pinned when started */
		if (zt_pin(c.m[i].pid, zt_cpu(i)))
			fprintf(stderr, "warning: member %u: cannot pin pid %d to CPU %d: %s\n",
				i, (int)c.m[i].pid, zt_cpu(i), strerror(errno));
	}
	printf("up: %u members on network %s%s%s\n", c.count, c.network,
	       c.no_bond ? "" : ", bond ", c.no_bond ? "" : c.bond);
	fflush(stdout);
	if (c.foreground)
		return zt_supervise(&c, &sigs);
	return 0;
fail:
	if (c.bond_new && !zt_nl(ZTBOND_CMD_BOND_DEL, c.bond, NULL, NULL, NULL)) {
		fprintf(stderr, "bond %s deleted again (this run created it)\n",
			c.bond);
		c.bond_created = false;
		zt_save_state(&c);
	}
	zt_rollback(&c);
	if (have > 0) {
		/* nothing was up before this run: leave no state behind */
		char p[PATH_MAX + 32];

		for (i = 0; i < c.count; i++)
			zt_probe(&c, &c.m[i]);
		for (i = 0; i < c.count && !c.m[i].running; i++)
			;
		snprintf(p, sizeof(p), "%s/state.json", c.dir);
		if (i == c.count && !c.bond_created)
			unlink(p);
	}
	return 1;
}

/* down, status: the options, then the state of a bond that is up. */
static int zt_open_state(const char *cmd, int argc, char **argv,
			 struct zt_cfg *c, struct zt_args *a)
{
	int have;

	if (zt_parse(cmd, argc, argv, a) || zt_common(c, a))
		return -1;
	have = zt_load_state(c);
	if (have > 0)
		ztb_err("zt %s: %s is not up (no %s/%s/state.json)", cmd,
			c->bond, c->home, c->bond);
	return have ? -1 : 0;
}

static int zt_down(int argc, char **argv)
{
	static struct zt_cfg c;
	struct zt_args a;

	if (zt_open_state("down", argc, argv, &c, &a))
		return 1;
	return zt_teardown(&c) ? 1 : 0;
}

static int zt_status(int argc, char **argv)
{
	static struct zt_cfg c;
	struct json_object *out = NULL, *arr = NULL;
	struct ztb_bondlist l = { 0 };
	char what[320], p[PATH_MAX + 32], ebuf[32];
	bool have_bond = false;
	struct zt_args a;
	unsigned int i;

	if (zt_open_state("status", argc, argv, &c, &a))
		return 1;
	if (!c.no_bond && if_nametoindex(c.bond)) {
		/* quietly: without the module there is no link state */
		int fd = dup(2), nul = open("/dev/null", O_WRONLY);

		dup2(nul, 2);
		have_bond = !zt_bond_get(c.bond, &l);
		dup2(fd, 2);
		close(fd);
		close(nul);
	}
	if (a.json) {
		out = json_object_new_object();
		arr = json_object_new_array();
		json_object_object_add(out, "bond", json_object_new_string(c.bond));
		json_object_object_add(out, "network", json_object_new_string(c.network));
		json_object_object_add(out, "bondExists", json_object_new_boolean(have_bond));
	} else {
		printf("bond %s  network %s  members %u  home %s%s\n", c.bond,
		       c.network, c.count, c.dir,
		       c.no_bond ? "  (no bond)" : have_bond ? "" : "  (bond missing)");
		printf("  %-3s %-10s %-5s %-7s %-7s %-15s %-24s %-6s %s\n", "#",
		       "node", "port", "pid", "process", "tap", "network",
		       "bridge", "link");
	}
	for (i = 0; i < c.count; i++) {
		struct zt_member *m = &c.m[i];
		const struct ztb_obj *lk = have_bond ? zt_bond_link(&l, m->tap) : NULL;
		const char *link = "-";

		zt_check_ready(&c, m, ZT_STAGE_READY, what, sizeof(what));
		if (!m->node[0]) {
			snprintf(p, sizeof(p), "%s/identity.public", m->home);
			if (!read_file(p, what, sizeof(what)) && strlen(what) >= 10)
				snprintf(m->node, sizeof(m->node), "%.10s", what);
		}
		if (lk && (lk->has & (1ull << ZTBOND_LINK_A_STATE)))
			link = ztb_enum_str(&ztb_state_names,
					    lk->val[ZTBOND_LINK_A_STATE], ebuf,
					    sizeof(ebuf));
		else if (have_bond)
			link = "not enslaved";
		if (a.json) {
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "member", json_object_new_int((int)i));
			json_object_object_add(o, "node", json_object_new_string(m->node));
			json_object_object_add(o, "port", json_object_new_int((int)m->port));
			json_object_object_add(o, "pid", json_object_new_int(m->running ? m->pid : 0));
			json_object_object_add(o, "running", json_object_new_boolean(m->running));
			json_object_object_add(o, "tap", json_object_new_string(m->tap));
			json_object_object_add(o, "tapPresent", json_object_new_boolean(if_nametoindex(m->tap) != 0));
			json_object_object_add(o, "networkStatus",
					       json_object_new_string(m->running && m->status[0] ? m->status : "-"));
			json_object_object_add(o, "bridge", json_object_new_boolean(m->bridge));
			json_object_object_add(o, "link", json_object_new_string(link));
			json_object_object_add(o, "home", json_object_new_string(m->home));
			json_object_array_add(arr, o);
		} else {
			printf("  %-3u %-10s %-5u %-7d %-7s %-15s %-24s %-6s %s\n",
			       i, m->node[0] ? m->node : "-", m->port,
			       m->running ? (int)m->pid : 0,
			       m->running ? "running" : "stopped",
			       if_nametoindex(m->tap) ? m->tap : "-",
			       m->running && m->status[0] ? m->status : "-",
			       m->running ? (m->bridge ? "yes" : "no") : "-", link);
		}
	}
	if (have_bond)
		ztb_bondlist_free(&l);
	if (a.json) {
		json_object_object_add(out, "members", arr);
		printf("%s\n", json_object_to_json_string_ext(out, JSON_C_TO_STRING_PRETTY |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(out);
	}
	return 0;
}

void ztb_zt_usage(FILE *f)
{
	fprintf(f,
		"       " ZTB_PROG " zt up --network NWID --count N [--bond NAME] [--home DIR]\n"
		"                     [--base-port P] [--zerotier-one PATH] [--timeout SEC]\n"
		"                     [--central-token-file F] [--central-url URL] [--no-bond]\n"
		"                     [--address CIDR]... [--config FILE] [--pin] [--foreground]\n"
		"       " ZTB_PROG " zt down [--bond NAME] [--home DIR]\n"
		"       " ZTB_PROG " zt status [--bond NAME] [--home DIR] [--json]\n");
}

int ztb_zt_main(int argc, char **argv)
{
	char err[256];
	int ret;

	if (argc < 1) {
		ztb_err("zt: missing command (up, down, status)");
		ztb_zt_usage(stderr);
		return 1;
	}
	if (!strcmp(argv[0], "-h") || !strcmp(argv[0], "--help") ||
	    !strcmp(argv[0], "help")) {
		fprintf(stdout, "Usage:\n");
		ztb_zt_usage(stdout);
		return 0;
	}
	if (strcmp(argv[0], "up") && strcmp(argv[0], "down") &&
	    strcmp(argv[0], "status")) {
		ztb_err("zt: unknown command \"%s\" (up, down, status)", argv[0]);
		return 1;
	}
	if (ztb_curl_load(err, sizeof(err))) {
		ztb_err("zt: %s", err);
		return 1;
	}
	if (ztb_curl.global_init(CURL_GLOBAL_DEFAULT)) {
		ztb_err("zt: cannot initialise libcurl");
		return 1;
	}
	if (!strcmp(argv[0], "up"))
		ret = zt_up(argc - 1, argv + 1);
	else if (!strcmp(argv[0], "down"))
		ret = zt_down(argc - 1, argv + 1);
	else
		ret = zt_status(argc - 1, argv + 1);
	ztb_curl.global_cleanup();
	return ret;
}
