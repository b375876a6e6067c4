// SPDX-License-Identifier: GPL-2.0
/*
 * ztsim: a test stand-in for zerotier-one (test code, not product).
 *
 *   ztsim [-U] [-d] [-p<port>] [--cpu-cost=NS] [homedir]
 *
 * The command line, home directory files and local API subset of
 * zerotier-one; one thread, one epoll loop. Environment: ZTSIM_STATE (the
 * shared state directory, default /run/ztsim), ZTSIM_UNDERLAY (network
 * namespace of the underlay, overrides $ZTSIM_STATE/underlay-netns),
 * ZTSIM_CPU_COST_NS (CPU burnt per frame), ZTSIM_CONFIG_DELAY_MS (join to
 * configured, default 300). See README.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "ztsim.h"

#define ZTS_TICK_MS	50

static bool zts_daemon;

uint64_t zts_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void zts_log(const char *fmt, ...)
{
	va_list ap;

	fputs("ztsim: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Write a whole file atomically (temporary file + rename). */
int zts_write_file(const char *path, const char *data, size_t len,
		   unsigned int mode)
{
	char tmp[4200];
	ssize_t w;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)getpid()) >=
	    (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	while (len) {
		w = write(fd, data, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			w = -errno;
			close(fd);
			unlink(tmp);
			return (int)w;
		}
		data += w;
		len -= (size_t)w;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		int e = -errno;

		unlink(tmp);
		return e;
	}
	return 0;
}

/* Burn the configured CPU time per frame: the one-core bottleneck. */
void zts_burn(const struct zts *z)
{
	struct timespec ts;
	uint64_t start, now;

	if (!z->cpu_cost_ns)
		return;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	start = (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	do {
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
		now = (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	} while (now - start < z->cpu_cost_ns);
}

static int read_small(const char *path, char *buf, size_t len)
{
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = read(fd, buf, len - 1);
	close(fd);
	if (r < 0)
		return -errno;
	buf[r] = '\0';
	return (int)r;
}

static void random_bytes(uint8_t *b, size_t n)
{
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, b, n) != (ssize_t)n) {
		zts_log("cannot read /dev/urandom");
		exit(1);
	}
	close(fd);
}

static void hex(char *out, const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

/*
 * identity.secret: "<10 hex>:0:<public hex>:<private hex>", created once and
 * never overwritten (the key material is random filler: nothing here is
 * cryptographic). identity.public is rewritten from it when missing.
 */
static int load_identity(struct zts *z)
{
	char path[4200], buf[1024], *p;
	uint8_t rnd[5 + 64 + 64];
	char pub[129], priv[129];
	unsigned long long a;
	int r;

	snprintf(path, sizeof(path), "%s/identity.secret", z->home);
	r = read_small(path, buf, sizeof(buf));
	if (r == -ENOENT) {
		do {
			random_bytes(rnd, sizeof(rnd));
			a = 0;
			for (r = 0; r < 5; r++)
				a = a << 8 | rnd[r];
			/* reserved: 0 and the 0xff prefix */
		} while (a == 0 || (a >> 32) == 0xff);
		hex(pub, rnd + 5, 64);
		hex(priv, rnd + 69, 64);
		snprintf(buf, sizeof(buf), "%010llx:0:%s:%s", a, pub, priv);
		r = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (r < 0 || write(r, buf, strlen(buf)) != (ssize_t)strlen(buf)) {
			zts_log("cannot create %s: %s", path, strerror(errno));
			return -1;
		}
		close(r);
	} else if (r < 0) {
		zts_log("cannot read %s: %s", path, strerror(-r));
		return -1;
	}
	if (strlen(buf) < 14 || buf[10] != ':' || buf[11] != '0' ||
	    buf[12] != ':' || strspn(buf, "0123456789abcdef") != 10) {
		zts_log("%s is not a ZeroTier identity (left untouched)", path);
		return -1;
	}
	z->node = strtoull(buf, NULL, 16);
	/* public part: everything up to the third ':' */
	p = strchr(buf + 13, ':');
	if (!p) {
		zts_log("%s has no private part (left untouched)", path);
		return -1;
	}
	*p = '\0';
	snprintf(z->identity_public, sizeof(z->identity_public), "%s", buf);
	snprintf(path, sizeof(path), "%s/identity.public", z->home);
	if (access(path, F_OK) && zts_write_file(path, z->identity_public,
						 strlen(z->identity_public), 0644)) {
		zts_log("cannot write %s", path);
		return -1;
	}
	return 0;
}

static int load_authtoken(struct zts *z)
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	char path[4200], buf[256];
	uint8_t rnd[24];
	size_t i;
	int r;

	snprintf(path, sizeof(path), "%s/authtoken.secret", z->home);
	r = read_small(path, buf, sizeof(buf));
	if (r == -ENOENT) {
		random_bytes(rnd, sizeof(rnd));
		for (i = 0; i < sizeof(rnd); i++)
			buf[i] = set[rnd[i] % 36];
		buf[i] = '\0';
		if (zts_write_file(path, buf, i, 0600)) {
			zts_log("cannot write %s", path);
			return -1;
		}
	} else if (r < 0) {
		zts_log("cannot read %s: %s", path, strerror(-r));
		return -1;
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	if (!buf[0] || strlen(buf) >= sizeof(z->authtoken)) {
		zts_log("%s: empty or too long", path);
		return -1;
	}
	strcpy(z->authtoken, buf);
	return 0;
}

static int mkdir_p(const char *dir, unsigned int mode)
{
	char p[4096], *s;

	if (snprintf(p, sizeof(p), "%s", dir) >= (int)sizeof(p))
		return -1;
	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) && errno != EEXIST)
			return -1;
		*s = '/';
	}
	if (mkdir(p, mode) && errno != EEXIST)
		return -1;
	return 0;
}

/* Join every networks.d/<nwid>.conf (an empty file means "join"). */
static void join_saved(struct zts *z)
{
	char path[4200];
	struct dirent *de;
	uint64_t nwid;
	char id[17];
	DIR *d;

	snprintf(path, sizeof(path), "%s/networks.d", z->home);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (strlen(de->d_name) != 21 || strcmp(de->d_name + 16, ".conf"))
			continue;
		memcpy(id, de->d_name, 16);
		id[16] = '\0';
		if (zts_parse_nwid(id, &nwid))
			continue;
		if (!zts_net_join(z, nwid))
			zts_log("cannot join %s", id);
	}
	closedir(d);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ztsim [-U] [-d] [-p<port>] [--cpu-cost=NS] [homedir]\n"
		"  a test stand-in for zerotier-one " ZTS_VERSION "\n"
		"  -U            accepted (no privilege drop is done)\n"
		"  -d            fork into the background\n"
		"  -p<port>      local API TCP port (default 9993, 0 = random)\n"
		"  --cpu-cost=NS CPU time burnt per frame (also ZTSIM_CPU_COST_NS)\n"
		"  environment: ZTSIM_STATE (default /run/ztsim), ZTSIM_UNDERLAY\n");
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_args(struct zts *z, int argc, char **argv)
{
	const char *home = "/var/lib/zerotier-one", *s;
	uint64_t v;
	int i;

	z->port = 9993;
	s = getenv("ZTSIM_CPU_COST_NS");
	if (s && *s && parse_u64(s, 100000000, &z->cpu_cost_ns)) {
		zts_log("ZTSIM_CPU_COST_NS: \"%s\" is not 0..100000000", s);
		return -1;
	}
	z->config_delay_ms = ZTS_CONFIG_DELAY_MS;
	s = getenv("ZTSIM_CONFIG_DELAY_MS");
	if (s && *s && parse_u64(s, 60000, &z->config_delay_ms)) {
		zts_log("ZTSIM_CONFIG_DELAY_MS: \"%s\" is not 0..60000", s);
		return -1;
	}
	for (i = 1; i < argc; i++) {
		s = argv[i];
		if (!strcmp(s, "-U")) {
			continue;
		} else if (!strcmp(s, "-d")) {
			zts_daemon = true;
		} else if (!strncmp(s, "-p", 2)) {
			if (parse_u64(s + 2, 65535, &v)) {
				zts_log("%s: port must be 0..65535", s);
				return -1;
			}
			z->port = (unsigned int)v;
		} else if (!strncmp(s, "--cpu-cost=", 11)) {
			if (parse_u64(s + 11, 100000000, &z->cpu_cost_ns)) {
				zts_log("%s: want nanoseconds, 0..100000000", s);
				return -1;
			}
		} else if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
			usage(stdout);
			exit(0);
		} else if (!strcmp(s, "-v")) {
			printf("%s\n", ZTS_VERSION);
			exit(0);
		} else if (s[0] == '-') {
			zts_log("unknown option %s", s);
			usage(stderr);
			return -1;
		} else if (i == argc - 1) {
			home = s;
		} else {
			zts_log("unexpected argument %s", s);
			usage(stderr);
			return -1;
		}
	}
	if (strlen(home) >= sizeof(z->home) - 64) {
		zts_log("home directory path too long");
		return -1;
	}
	snprintf(z->home, sizeof(z->home), "%s", home);
	/* zerotier-one strips a trailing slash */
	while (strlen(z->home) > 1 && z->home[strlen(z->home) - 1] == '/')
		z->home[strlen(z->home) - 1] = '\0';

	s = getenv("ZTSIM_STATE");
	snprintf(z->state, sizeof(z->state), "%s", s && *s ? s : "/run/ztsim");
	if (strlen(z->state) > sizeof(z->state) - 128) {
		zts_log("ZTSIM_STATE too long");
		return -1;
	}
	s = getenv("ZTSIM_UNDERLAY");
	if (s && *s) {
		if (strlen(s) >= sizeof(z->underlay) || strchr(s, '/')) {
			zts_log("ZTSIM_UNDERLAY: bad namespace name \"%s\"", s);
			return -1;
		}
		strcpy(z->underlay, s);
	} else {
		char path[4200];

		snprintf(path, sizeof(path), "%s/underlay-netns", z->state);
		if (read_small(path, z->underlay, sizeof(z->underlay)) > 0)
			z->underlay[strcspn(z->underlay, " \r\n")] = '\0';
	}
	return 0;
}

static int add_fd(struct zts *z, int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	return epoll_ctl(z->epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void write_home_file(struct zts *z, const char *name, const char *val)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/%s", z->home, name);
	if (zts_write_file(path, val, strlen(val), 0644))
		zts_log("cannot write %s", path);
}

static void shutdown_all(struct zts *z)
{
	char path[4200];
	int i;

	for (i = 0; i < ZTS_MAX_NETWORKS; i++)
		if (z->nets[i].used)
			zts_net_leave(z, &z->nets[i], false);
	snprintf(path, sizeof(path), "%s/zerotier-one.pid", z->home);
	unlink(path);
}

int main(int argc, char **argv)
{
	static struct zts z;
	struct epoll_event evs[32];
	struct itimerspec its = {
		.it_interval = { 0, ZTS_TICK_MS * 1000000L },
		.it_value = { 0, ZTS_TICK_MS * 1000000L },
	};
	char buf[64];
	sigset_t mask;
	int sfd, tfd, n, i;
	uint64_t tick;

	signal(SIGPIPE, SIG_IGN);
	if (parse_args(&z, argc, argv))
		return 1;
	if (mkdir_p(z.home, 0700)) {
		zts_log("cannot create %s: %s", z.home, strerror(errno));
		return 1;
	}
	if (load_identity(&z) || load_authtoken(&z))
		return 1;
	z.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (z.epfd < 0)
		return 1;
	if (zts_api_open(&z) || zts_underlay_open(&z))
		return 1;

	if (zts_daemon) {
		pid_t p = fork();

		if (p < 0) {
			zts_log("fork: %s", strerror(errno));
			return 1;
		}
		if (p > 0)
			_exit(0);
		setsid();
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (sfd < 0 || tfd < 0 || timerfd_settime(tfd, 0, &its, NULL) ||
	    add_fd(&z, sfd, zts_tag(ZTS_TAG_SIGNAL, 0)) ||
	    add_fd(&z, tfd, zts_tag(ZTS_TAG_TIMER, 0)) ||
	    add_fd(&z, z.udpfd, zts_tag(ZTS_TAG_UDP, 0))) {
		zts_log("event setup: %s", strerror(errno));
		return 1;
	}

	snprintf(buf, sizeof(buf), "%d", (int)getpid());
	write_home_file(&z, "zerotier-one.pid", buf);
	snprintf(buf, sizeof(buf), "%u", z.port);
	write_home_file(&z, "zerotier-one.port", buf);
	join_saved(&z);
	zts_log("%010llx: API on 127.0.0.1:%u, underlay udp %u%s%s, pid %d",
		(unsigned long long)z.node, z.port, z.udp_port,
		z.underlay[0] ? " in netns " : "", z.underlay, (int)getpid());

	for (;;) {
		n = epoll_wait(z.epfd, evs, 32, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			zts_log("epoll_wait: %s", strerror(errno));
			break;
		}
		for (i = 0; i < n; i++) {
			uint64_t d = evs[i].data.u64;
			uint32_t v = (uint32_t)d;

			switch ((enum zts_tag)(d >> 32)) {
			case ZTS_TAG_SIGNAL: {
				struct signalfd_siginfo si;

				if (read(sfd, &si, sizeof(si)) == sizeof(si) &&
				    si.ssi_signo != SIGHUP) {
					shutdown_all(&z);
					return 0;
				}
				break;
			}
			case ZTS_TAG_TIMER: {
				uint64_t now = zts_now_ms();
				int k;

				if (read(tfd, &tick, sizeof(tick)) < 0)
					break;
				for (k = 0; k < ZTS_MAX_NETWORKS; k++)
					if (z.nets[k].used)
						zts_net_tick(&z, &z.nets[k], now);
				zts_api_tick(&z, now);
				break;
			}
			case ZTS_TAG_UDP:
				zts_udp_event(&z);
				break;
			case ZTS_TAG_TAP:
				if (v < ZTS_MAX_NETWORKS && z.nets[v].used &&
				    z.nets[v].tapfd >= 0)
					zts_net_tap_event(&z, &z.nets[v]);
				break;
			case ZTS_TAG_API_LISTEN:
			case ZTS_TAG_API_CONN:
				zts_api_event(&z, (int)v, evs[i].events);
				break;
			}
		}
	}
	shutdown_all(&z);
	return 1;
}
