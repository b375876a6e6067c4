// SPDX-License-Identifier: GPL-2.0
/*
 * ztbondctl: configure ztbond bonding devices over generic netlink.
 *
 * Command-line grammar and dispatch. Everything the user typed is checked
 * before a socket is opened: a bad command line sends nothing.
 */
#define _GNU_SOURCE	/* setns() */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netlink/attr.h>
#include <netlink/msg.h>

#include "ztbondctl.h"
#include "config.h"
#include "zt.h"

struct ztb_opts {
	bool json;
};

struct ztb_cmd {
	const char *obj;
	const char *cmd;		/* NULL: the object is the command */
	const char *syntax;
	int (*fn)(const struct ztb_cmd *c, int argc, char **argv,
		  struct ztb_opts *o);
	const struct ztb_keyset *keys;	/* keys to list in its help */
};

void ztb_err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs(ZTB_PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static bool is_help(const char *s)
{
	return !strcmp(s, "-h") || !strcmp(s, "--help");
}

static bool is_json(const char *s)
{
	return !strcmp(s, "--json") || !strcmp(s, "-j");
}

/*
 * -n NETNS: work in the named network namespace (ip netns add's
 * /run/netns/NETNS, or a path such as /proc/PID/ns/net), as "ip -n" does;
 * the same as "ip netns exec NETNS ztbondctl ..." without a second program
 * and a mount namespace. Bonds, links and interface names are per
 * namespace; the netlink socket opened afterwards lives in NETNS.
 */
static int enter_netns(const char *name)
{
	char path[4096];
	int fd, err;

	if (strchr(name, '/'))
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ztb_err("netns \"%s\": %s (%s)", name, strerror(errno),
			strchr(name, '/') ? "a network namespace file" :
			"see ip netns list");
		return -1;
	}
	err = setns(fd, CLONE_NEWNET);
	if (err)
		ztb_err("netns \"%s\": cannot enter it: %s", name,
			strerror(errno));
	close(fd);
	return err ? -1 : 0;
}

/* ---- command implementations ----------------------------------------- */

static const char *cmd_name(const struct ztb_cmd *c, char *buf, size_t len)
{
	if (c->cmd)
		snprintf(buf, len, "%s %s", c->obj, c->cmd);
	else
		snprintf(buf, len, "%s", c->obj);
	return buf;
}

/* argv[0..need-1] are interface names; returns -1 after reporting. */
static int want_names(const struct ztb_cmd *c, int argc, char **argv,
		      int need, int max)
{
	static const char *const what[] = { "NAME", "DEV" };
	char buf[32];
	int i;

	for (i = 0; i < need; i++) {
		if (i >= argc) {
			ztb_err("%s: missing %s (try \"" ZTB_PROG " %s --help\")",
				cmd_name(c, buf, sizeof(buf)), what[i],
				cmd_name(c, buf, sizeof(buf)));
			return -1;
		}
		if (ztb_check_ifname(argv[i]))
			return -1;
	}
	if (max >= 0 && argc > max) {
		ztb_err("%s: unexpected argument \"%s\"",
			cmd_name(c, buf, sizeof(buf)), argv[max]);
		return -1;
	}
	return 0;
}

static int want_keys(const struct ztb_cmd *c, const char *name,
		     const struct ztb_kvlist *kv)
{
	char buf[32];
	const struct ztb_key *k;
	char list[256];
	size_t off = 0;

	if (kv->n)
		return 0;
	list[0] = '\0';
	for (k = c->keys->keys; k->name; k++)
		off += snprintf(list + off, off < sizeof(list) ?
				sizeof(list) - off : 0, "%s%s",
				off ? ", " : "", k->name);
	ztb_err("%s %s: nothing to set (%s)", cmd_name(c, buf, sizeof(buf)),
		name, list);
	return -1;
}

static int run(struct nl_msg *(*build)(struct ztb_nl *nl, void *arg),
	       void *arg, ztb_msg_fn fn, void *fn_arg, const char *ctx)
{
	struct ztb_nl *nl = ztb_nl_open();
	struct nl_msg *msg;
	int err;

	if (!nl)
		return 1;
	msg = build(nl, arg);
	if (!msg) {
		ztb_err("out of memory building the request");
		ztb_nl_close(nl);
		return 1;
	}
	err = ztb_nl_exec(nl, msg, fn, fn_arg, ctx);
	ztb_nl_close(nl);
	return err ? 1 : 0;
}

struct ztb_req {
	uint8_t cmd;
	bool dump;
	const char *bond;
	const char *link;		/* non-NULL: link command */
	const struct ztb_kvlist *kv;
	bool std_policy;		/* clear a custom policy's name */
};

static struct nl_msg *build_req(struct ztb_nl *nl, void *arg)
{
	const struct ztb_req *r = arg;
	struct nl_msg *msg = ztb_nl_req(nl, r->cmd, r->dump);
	struct nlattr *nest;

	if (!msg)
		return NULL;
	if (r->bond && nla_put_string(msg, ZTBOND_A_IFNAME, r->bond) < 0)
		goto fail;
	if (!r->link) {
		if (r->kv && ztb_put_kv(msg, r->kv))
			goto fail;
		if (r->std_policy &&
		    nla_put_string(msg, ZTBOND_A_POLICY_NAME, "") < 0)
			goto fail;
		return msg;
	}
	nest = nla_nest_start(msg, ZTBOND_A_LINK);
	if (!nest || nla_put_string(msg, ZTBOND_LINK_A_IFNAME, r->link) < 0)
		goto fail;
	if (r->kv && ztb_put_kv(msg, r->kv))
		goto fail;
	nla_nest_end(msg, nest);
	return msg;
fail:
	nlmsg_free(msg);
	return NULL;
}

static int do_bond_addset(const struct ztb_cmd *c, int argc, char **argv,
			  struct ztb_opts *o)
{
	struct ztb_kvlist kv;
	struct ztb_req r = { .bond = argv[0], .kv = &kv };
	unsigned int i;

	(void)o;
	if (want_names(c, argc, argv, 1, -1) ||
	    ztb_parse_kv(&ztb_bond_keyset, argc - 1, argv + 1, &kv))
		return 1;
	if (!strcmp(c->cmd, "set")) {
		if (want_keys(c, argv[0], &kv))
			return 1;
		r.cmd = ZTBOND_CMD_BOND_SET;
	} else {
		r.cmd = ZTBOND_CMD_BOND_NEW;
	}
	/* A policy chosen by hand is a standard one, not a custom policy. */
	for (i = 0; i < kv.n; i++)
		if (kv.v[i].key->kind == ZTB_K_POLICY)
			r.std_policy = true;
	return run(build_req, &r, NULL, NULL, argv[0]);
}

static int do_bond_del(const struct ztb_cmd *c, int argc, char **argv,
		       struct ztb_opts *o)
{
	struct ztb_req r = { .cmd = ZTBOND_CMD_BOND_DEL, .bond = argv[0] };

	(void)o;
	if (want_names(c, argc, argv, 1, 1))
		return 1;
	return run(build_req, &r, NULL, NULL, argv[0]);
}

static int do_bond_rotate(const struct ztb_cmd *c, int argc, char **argv,
			  struct ztb_opts *o)
{
	struct ztb_req r = { .cmd = ZTBOND_CMD_BOND_ROTATE, .bond = argv[0] };

	(void)o;
	if (want_names(c, argc, argv, 1, 1))
		return 1;
	return run(build_req, &r, NULL, NULL, argv[0]);
}

static int do_bond_show(const struct ztb_cmd *c, int argc, char **argv,
			struct ztb_opts *o)
{
	struct ztb_req r = { .cmd = ZTBOND_CMD_BOND_GET };
	struct ztb_bondlist list = { 0 };
	char buf[32];
	int i, ret;

	for (i = 0; i < argc; i++) {
		if (is_json(argv[i])) {
			o->json = true;
		} else if (!r.bond) {
			if (ztb_check_ifname(argv[i]))
				return 1;
			r.bond = argv[i];
		} else {
			ztb_err("%s: unexpected argument \"%s\"",
				cmd_name(c, buf, sizeof(buf)), argv[i]);
			return 1;
		}
	}
	r.dump = !r.bond;
	ret = run(build_req, &r, ztb_collect_bond, &list, r.bond);
	if (!ret && ztb_print_bonds(&list, o->json, !r.dump))
		ret = 1;
	ztb_bondlist_free(&list);
	return ret;
}

static int do_link_addset(const struct ztb_cmd *c, int argc, char **argv,
			  struct ztb_opts *o)
{
	struct ztb_kvlist kv;
	struct ztb_req r = { .bond = argv[0], .link = argv[1], .kv = &kv };
	char ctx[2 * IFNAMSIZ + 2];

	(void)o;
	if (want_names(c, argc, argv, 2, -1) ||
	    ztb_parse_kv(&ztb_link_keyset, argc - 2, argv + 2, &kv))
		return 1;
	if (!strcmp(c->cmd, "set")) {
		if (want_keys(c, argv[0], &kv))
			return 1;
		r.cmd = ZTBOND_CMD_LINK_SET;
	} else {
		r.cmd = ZTBOND_CMD_LINK_ADD;
	}
	snprintf(ctx, sizeof(ctx), "%s %s", argv[0], argv[1]);
	return run(build_req, &r, NULL, NULL, ctx);
}

static int do_link_del(const struct ztb_cmd *c, int argc, char **argv,
		       struct ztb_opts *o)
{
	struct ztb_req r = { .cmd = ZTBOND_CMD_LINK_DEL, .bond = argv[0],
			     .link = argv[1] };
	char ctx[2 * IFNAMSIZ + 2];

	(void)o;
	if (want_names(c, argc, argv, 2, 2))
		return 1;
	snprintf(ctx, sizeof(ctx), "%s %s", argv[0], argv[1]);
	return run(build_req, &r, NULL, NULL, ctx);
}

static int do_monitor(const struct ztb_cmd *c, int argc, char **argv,
		      struct ztb_opts *o)
{
	struct ztb_mon_opts mo = { .bond = NULL };
	struct ztb_nl *nl;
	char buf[32];
	int i, err;

	for (i = 0; i < argc; i++) {
		if (is_json(argv[i])) {
			o->json = true;
		} else if (!mo.bond && argv[i][0] != '-') {
			if (ztb_check_ifname(argv[i]))
				return 1;
			mo.bond = argv[i];
		} else {
			ztb_err("%s: unexpected argument \"%s\"",
				cmd_name(c, buf, sizeof(buf)), argv[i]);
			return 1;
		}
	}
	mo.json = o->json;
	nl = ztb_nl_open();
	if (!nl)
		return 1;
	err = ztb_nl_monitor(nl, ztb_print_event, &mo);
	ztb_nl_close(nl);
	return err ? 1 : 0;
}

static int do_peer_list(const struct ztb_cmd *c, int argc, char **argv,
			struct ztb_opts *o)
{
	const char *bond = NULL;
	char buf[32];
	int i;

	for (i = 0; i < argc; i++) {
		if (is_json(argv[i])) {
			o->json = true;
		} else if (!bond) {
			if (ztb_check_ifname(argv[i]))
				return 1;
			bond = argv[i];
		} else {
			ztb_err("%s: unexpected argument \"%s\"",
				cmd_name(c, buf, sizeof(buf)), argv[i]);
			return 1;
		}
	}
	if (!bond) {
		ztb_err("%s: missing NAME (try \"" ZTB_PROG " %s --help\")",
			cmd_name(c, buf, sizeof(buf)), cmd_name(c, buf, sizeof(buf)));
		return 1;
	}
	return ztb_peer_list(bond, o->json);
}

static int do_config(const struct ztb_cmd *c, int argc, char **argv,
		     struct ztb_opts *o)
{
	(void)o;
	return ztb_config_cmd(c->cmd, argc, argv);
}

/* ---- grammar --------------------------------------------------------- */

static const struct ztb_cmd ztb_cmds[] = {
	{ "bond", "add", "bond add NAME [policy POLICY] [KEY VALUE]...",
	  do_bond_addset, &ztb_bond_keyset },
	{ "bond", "del", "bond del NAME", do_bond_del, NULL },
	{ "bond", "set", "bond set NAME [policy POLICY] [KEY VALUE]...",
	  do_bond_addset, &ztb_bond_keyset },
	{ "bond", "show", "bond show [NAME] [--json]", do_bond_show, NULL },
	{ "bond", "rotate", "bond rotate NAME", do_bond_rotate, NULL },
	{ "link", "add", "link add NAME DEV [KEY VALUE]...",
	  do_link_addset, &ztb_link_keyset },
	{ "link", "del", "link del NAME DEV", do_link_del, NULL },
	{ "link", "set", "link set NAME DEV KEY VALUE...",
	  do_link_addset, &ztb_link_keyset },
	{ "peer", "list", "peer list NAME [--json]", do_peer_list, NULL },
	{ "monitor", NULL, "monitor [NAME] [--json]", do_monitor, NULL },
	{ "config", "check", "config check FILE [--allow-comments]",
	  do_config, NULL },
	{ "config", "apply", "config apply NAME FILE [--allow-comments] [--network NWID]",
	  do_config, NULL },
	{ "config", "dump", "config dump NAME", do_config, NULL },
};

static const char *obj_cmds(const char *obj)
{
	if (!strcmp(obj, "bond"))
		return "add, del, set, show, rotate";
	if (!strcmp(obj, "config"))
		return "check, apply, dump";
	if (!strcmp(obj, "peer"))
		return "list";
	return "add, del, set";
}

static void print_keys(FILE *f, const struct ztb_keyset *ks)
{
	const struct ztb_key *k;
	char allowed[128];

	fprintf(f, "\n%s KEY VALUE (ZeroTier key names):\n",
		ks == &ztb_bond_keyset ? "Bond" : "Link");
	for (k = ks->keys; k->name; k++) {
		if (k->kind == ZTB_K_POLICY)
			continue;
		fprintf(f, "  %-17s %s%s%s%s\n  %-17s %s\n", k->name,
			ztb_key_allowed(k, allowed, sizeof(allowed)),
			k->alias ? " (alias " : "",
			k->alias ? k->alias : "", k->alias ? ")" : "", "",
			k->help);
	}
}

/* Usage of everything (obj NULL), one object, or one command. */
static void usage(FILE *f, const char *obj, const char *cmd)
{
	bool bond_keys = false, link_keys = false;
	char allowed[128];
	unsigned int i;
	int n = 0;

	for (i = 0; i < ZTB_ARRAY_SIZE(ztb_cmds); i++) {
		const struct ztb_cmd *c = &ztb_cmds[i];

		if (obj && strcmp(obj, c->obj))
			continue;
		if (cmd && c->cmd && strcmp(cmd, c->cmd))
			continue;
		fprintf(f, "%s " ZTB_PROG " %s\n", n++ ? "      " : "Usage:",
			c->syntax);
		bond_keys |= c->keys == &ztb_bond_keyset;
		link_keys |= c->keys == &ztb_link_keyset;
	}
	if (!obj)
		ztb_zt_usage(f);
	if (!obj)
		fprintf(f, "       " ZTB_PROG " [--json] [-n NETNS] OBJECT ...\n"
			   "       " ZTB_PROG " {-h | --help | help}\n"
			   "       " ZTB_PROG " {-V | --version}\n");
	if (bond_keys)
		fprintf(f, "\nPOLICY := %s\n",
			ztb_key_allowed(&ztb_bond_keyset.keys[0], allowed,
					sizeof(allowed)));
	if (bond_keys)
		print_keys(f, &ztb_bond_keyset);
	if (link_keys)
		print_keys(f, &ztb_link_keyset);
	if (!obj || (!strcmp(obj, "bond") && (!cmd || !strcmp(cmd, "show"))) ||
	    !strcmp(obj, "peer") || !strcmp(obj, "monitor"))
		fprintf(f, "\n--json (-j) prints JSON; it may also come before "
			   "OBJECT.\n");
	if (!obj || !strcmp(obj, "config"))
		fprintf(f, "\nFILE is ZeroTier's local.conf (its \"settings\" "
			   "object), or - for standard input.\n"
			   "--allow-comments strips // and /* */ comments "
			   "first.\n");
	if (!obj)
		fprintf(f, "\nSee ztbondctl(8).\n");
}

static int usage_error(const char *obj, const char *cmd)
{
	usage(stderr, obj, cmd);
	return 1;
}

int main(int argc, char **argv)
{
	struct ztb_opts opts = { .json = false };
	const struct ztb_cmd *c = NULL;
	const char *obj, *cmd = NULL, *netns = NULL;
	unsigned int i;
	int a = 1, j;

	for (; a < argc && argv[a][0] == '-'; a++) {
		if (is_json(argv[a])) {
			opts.json = true;
		} else if (!strcmp(argv[a], "-n") ||
			   !strcmp(argv[a], "--netns")) {
			if (a + 1 >= argc || !argv[a + 1][0]) {
				ztb_err("%s needs a network namespace (a name of ip netns list, or a path)",
					argv[a]);
				return usage_error(NULL, NULL);
			}
			netns = argv[++a];
		} else if (is_help(argv[a])) {
			usage(stdout, NULL, NULL);
			return 0;
		} else if (!strcmp(argv[a], "-V") ||
			   !strcmp(argv[a], "--version")) {
			printf(ZTB_PROG " %s (genl family \"%s\" version %d)\n",
			       ZTB_VERSION, ZTBOND_GENL_NAME,
			       ZTBOND_GENL_VERSION);
			return 0;
		} else {
			ztb_err("unknown option \"%s\"", argv[a]);
			return usage_error(NULL, NULL);
		}
	}
	if (a >= argc) {
		ztb_err("missing OBJECT (bond, link, peer, monitor, config, zt)");
		return usage_error(NULL, NULL);
	}
	obj = argv[a++];
	if (!strcmp(obj, "help")) {
		usage(stdout, NULL, NULL);
		return 0;
	}
	if (!strcmp(obj, "zt")) {
		if (netns) {
			/* zt reads the taps' sysfs, which setns does not move */
			ztb_err("zt does not take -n: run it in the namespace (ip netns exec %s ztbondctl zt ...)",
				netns);
			return 1;
		}
		return ztb_zt_main(argc - a, argv + a);
	}
	if (strcmp(obj, "bond") && strcmp(obj, "link") && strcmp(obj, "peer") &&
	    strcmp(obj, "monitor") && strcmp(obj, "config")) {
		ztb_err("unknown object \"%s\" (bond, link, peer, monitor, config, zt)",
			obj);
		return usage_error(NULL, NULL);
	}

	if (strcmp(obj, "monitor")) {
		if (a >= argc) {
			ztb_err("%s: missing command (%s)", obj,
				obj_cmds(obj));
			return usage_error(obj, NULL);
		}
		cmd = argv[a++];
		if (is_help(cmd) || !strcmp(cmd, "help")) {
			usage(stdout, obj, NULL);
			return 0;
		}
	}
	for (i = 0; i < ZTB_ARRAY_SIZE(ztb_cmds); i++) {
		if (!strcmp(obj, ztb_cmds[i].obj) &&
		    (!cmd || !strcmp(cmd, ztb_cmds[i].cmd))) {
			c = &ztb_cmds[i];
			break;
		}
	}
	if (!c) {
		ztb_err("%s: unknown command \"%s\" (%s)", obj, cmd,
			obj_cmds(obj));
		return usage_error(obj, NULL);
	}

	/* "-h" anywhere after the command, or "help" right after it. */
	if (a < argc && !strcmp(argv[a], "help")) {
		usage(stdout, obj, cmd);
		return 0;
	}
	for (j = a; j < argc; j++) {
		if (is_help(argv[j])) {
			usage(stdout, obj, cmd);
			return 0;
		}
	}
	if (netns && enter_netns(netns))
		return 1;
	return c->fn(c, argc - a, argv + a, &opts);
}
