// SPDX-License-Identifier: GPL-2.0
/*
 * ztbondctl: generic netlink client.
 *
 * One request at a time: send, feed each reply to a callback, stop at the
 * ack (doit) or NLMSG_DONE (dump). NETLINK_EXT_ACK is enabled so that the
 * kernel's reason for a refusal reaches the user; libnl 3.7 does not parse
 * extack TLVs itself, so the error callbacks here do.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "ztbondctl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK	270
#endif

/* Big enough for one bond with ZTBOND_MAX_LINKS links in one message. */
#define ZTB_RECV_BUF	(64 * 1024)

struct ztb_nl {
	struct nl_sock *sk;
	struct nl_cb *cb;
	int family;

	/* State of the request in flight. */
	struct nl_msg *req;
	ztb_msg_fn fn;
	void *arg;
	bool done;
	int err;			/* positive errno from the kernel */
	int cb_err;			/* negative errno from our callback */
	char msg[256];			/* NLMSGERR_ATTR_MSG */
	bool has_offs, has_miss, has_miss_nest;
	uint32_t offs, miss_type, miss_nest;
};

/* ---- attribute names for error messages ------------------------------ */

static const char *bond_attr_name(int attr)
{
	const char *n = ztb_key_name_by_attr(&ztb_bond_keyset, attr);

	if (n)
		return n;
	switch (attr) {
	case ZTBOND_A_IFINDEX:
	case ZTBOND_A_IFNAME:
		return "bond name";
	case ZTBOND_A_LINK:
		return "link";
	}
	return NULL;
}

static const char *link_attr_name(int attr)
{
	const char *n = ztb_key_name_by_attr(&ztb_link_keyset, attr);

	if (n)
		return n;
	switch (attr) {
	case ZTBOND_LINK_A_IFINDEX:
	case ZTBOND_LINK_A_IFNAME:
		return "link device";
	}
	return NULL;
}

/*
 * Find which attribute of our request starts at byte offset offs (from
 * the start of the netlink header); *in_link is set for one inside the
 * ZTBOND_A_LINK nest. Returns the attribute type or -1.
 */
static int attr_at_offset(struct nl_msg *req, uint32_t offs, bool *in_link)
{
	struct nlmsghdr *nlh = nlmsg_hdr(req);
	struct nlattr *a, *n;
	int rem, nrem;

	*in_link = false;
	nlmsg_for_each_attr(a, nlh, GENL_HDRLEN, rem) {
		uint32_t start = (uint32_t)((char *)a - (char *)nlh);

		if (offs == start)
			return nla_type(a);
		if (nla_type(a) != ZTBOND_A_LINK ||
		    offs < start || offs >= start + nla_len(a) + NLA_HDRLEN)
			continue;
		nla_for_each_nested(n, a, nrem) {
			if (offs == (uint32_t)((char *)n - (char *)nlh)) {
				*in_link = true;
				return nla_type(n);
			}
		}
		return nla_type(a);
	}
	return -1;
}

/* "(packetsPerLink)" style suffix naming the attribute at offs. */
static void describe_offs(struct ztb_nl *nl, char *buf, size_t len)
{
	const char *name = NULL;
	bool in_link;
	int type;

	buf[0] = '\0';
	if (!nl->has_offs || !nl->req)
		return;
	type = attr_at_offset(nl->req, nl->offs, &in_link);
	if (type < 0)
		return;
	name = in_link ? link_attr_name(type) : bond_attr_name(type);
	if (name)
		snprintf(buf, len, " (%s)", name);
	else
		snprintf(buf, len, " (%s attribute %d)",
			 in_link ? "link" : "bond", type);
}

static void parse_extack(struct ztb_nl *nl, struct nlmsghdr *nlh,
			 size_t hlen)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t plen = nlmsg_datalen(nlh);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	hlen = NLMSG_ALIGN(hlen);
	if (hlen >= plen)
		return;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX,
		      (struct nlattr *)((char *)nlmsg_data(nlh) + hlen),
		      (int)(plen - hlen), NULL) < 0)
		return;
	if (tb[NLMSGERR_ATTR_MSG]) {
		snprintf(nl->msg, sizeof(nl->msg), "%.*s",
			 nla_len(tb[NLMSGERR_ATTR_MSG]),
			 (const char *)nla_data(tb[NLMSGERR_ATTR_MSG]));
		/* Kernel messages sometimes end in a newline. */
		nl->msg[strcspn(nl->msg, "\n")] = '\0';
	}
	if (tb[NLMSGERR_ATTR_OFFS] && nla_len(tb[NLMSGERR_ATTR_OFFS]) == 4) {
		nl->offs = nla_get_u32(tb[NLMSGERR_ATTR_OFFS]);
		nl->has_offs = true;
	}
	if (tb[NLMSGERR_ATTR_MISS_TYPE] &&
	    nla_len(tb[NLMSGERR_ATTR_MISS_TYPE]) == 4) {
		nl->miss_type = nla_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]);
		nl->has_miss = true;
	}
	if (tb[NLMSGERR_ATTR_MISS_NEST] &&
	    nla_len(tb[NLMSGERR_ATTR_MISS_NEST]) == 4) {
		nl->miss_nest = nla_get_u32(tb[NLMSGERR_ATTR_MISS_NEST]);
		nl->has_miss_nest = true;
	}
}

/* ---- callbacks ------------------------------------------------------- */

static int err_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	/* libnl hands us nlmsg_data() of the NLMSG_ERROR message. */
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct ztb_nl *nl = arg;
	size_t hlen = sizeof(*e);

	(void)nla;
	nl->err = e->error < 0 ? -e->error : e->error;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED) &&
	    e->msg.nlmsg_len >= NLMSG_HDRLEN)
		hlen += e->msg.nlmsg_len - NLMSG_HDRLEN;
	parse_extack(nl, nlh, hlen);
	nl->done = true;
	return NL_STOP;
}

static int ack_cb(struct nl_msg *msg, void *arg)
{
	struct ztb_nl *nl = arg;

	(void)msg;
	nl->done = true;
	return NL_STOP;
}

/* NLMSG_DONE of a dump: carries an error code (and extack) since 4.x. */
static int finish_cb(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct ztb_nl *nl = arg;
	int e;

	if (nlmsg_datalen(nlh) >= (int)sizeof(int)) {
		memcpy(&e, nlmsg_data(nlh), sizeof(e));
		if (e) {
			nl->err = e < 0 ? -e : e;
			parse_extack(nl, nlh, sizeof(int));
		}
	}
	nl->done = true;
	return NL_STOP;
}

static int valid_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[ZTBOND_A_MAX + 1];
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct ztb_nl *nl = arg;
	int err;

	if (nlh->nlmsg_type != nl->family)
		return NL_SKIP;
	err = genlmsg_parse(nlh, 0, tb, ZTBOND_A_MAX, NULL);
	if (err < 0)
		return NL_SKIP;
	if (!nl->fn)
		return NL_OK;
	err = nl->fn(tb, nl->arg);
	if (err < 0) {
		nl->cb_err = err;
		return NL_STOP;
	}
	return NL_OK;
}

/* ---- socket ---------------------------------------------------------- */

struct ztb_nl *ztb_nl_open(void)
{
	struct ztb_nl *nl;
	int one = 1;
	int err;

	nl = calloc(1, sizeof(*nl));
	if (!nl) {
		ztb_err("out of memory");
		return NULL;
	}
	nl->sk = nl_socket_alloc();
	nl->cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!nl->sk || !nl->cb) {
		ztb_err("out of memory");
		goto fail;
	}
	err = genl_connect(nl->sk);
	if (err < 0) {
		ztb_err("cannot open a generic netlink socket: %s",
			nl_geterror(err));
		goto fail;
	}
	/* Ask for the kernel's error text; older kernels just ignore it. */
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	/* Do not echo our whole request back in error messages. */
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_CAP_ACK,
		   &one, sizeof(one));
	nl_socket_enable_msg_peek(nl->sk);
	nl_socket_set_msg_buf_size(nl->sk, ZTB_RECV_BUF);
	nl_socket_disable_auto_ack(nl->sk);

	nl->family = genl_ctrl_resolve(nl->sk, ZTBOND_GENL_NAME);
	if (nl->family < 0) {
		if (nl->family == -NLE_OBJ_NOTFOUND)
			ztb_err("the ztbond module is not loaded (modprobe ztbond)");
		else
			ztb_err("cannot resolve the \"%s\" netlink family: %s",
				ZTBOND_GENL_NAME, nl_geterror(nl->family));
		goto fail;
	}

	nl_cb_err(nl->cb, NL_CB_CUSTOM, err_cb, nl);
	nl_cb_set(nl->cb, NL_CB_ACK, NL_CB_CUSTOM, ack_cb, nl);
	nl_cb_set(nl->cb, NL_CB_FINISH, NL_CB_CUSTOM, finish_cb, nl);
	nl_cb_set(nl->cb, NL_CB_VALID, NL_CB_CUSTOM, valid_cb, nl);
	return nl;

fail:
	ztb_nl_close(nl);
	return NULL;
}

void ztb_nl_close(struct ztb_nl *nl)
{
	if (!nl)
		return;
	nl_cb_put(nl->cb);
	nl_socket_free(nl->sk);
	free(nl);
}

/*
 * Requests: room for a whole configuration in one BOND_SET (64 links with
 * every parameter and 64 peers take about 20 KiB); libnl's default, one
 * page, held only about 25 links.
 */
#define ZTB_REQ_SIZE	(64 * 1024)

struct nl_msg *ztb_nl_req(struct ztb_nl *nl, uint8_t cmd, bool dump)
{
	struct nl_msg *msg = nlmsg_alloc_size(ZTB_REQ_SIZE);

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
			 dump ? NLM_F_DUMP : NLM_F_ACK, cmd,
			 ZTBOND_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

int ztb_put_kv(struct nl_msg *msg, const struct ztb_kvlist *kv)
{
	unsigned int i;
	int err = 0;

	for (i = 0; i < kv->n && !err; i++) {
		const struct ztb_val *v = &kv->v[i];

		switch (v->key->kind) {
		case ZTB_K_U32:
		case ZTB_K_PPM:
			err = nla_put_u32(msg, v->key->attr, v->u);
			break;
		case ZTB_K_ENUM:
		case ZTB_K_POLICY:
		case ZTB_K_BOOL:
		case ZTB_K_IPVPREF:
			err = nla_put_u8(msg, v->key->attr, (uint8_t)v->u);
			break;
		case ZTB_K_IFNAME:
			err = nla_put_string(msg, v->key->attr, v->s);
			break;
		case ZTB_K_KEY:
			err = nla_put(msg, v->key->attr, (int)v->u, v->s);
			break;
		}
	}
	return err < 0 ? -1 : 0;
}

static const char *miss_name(struct ztb_nl *nl, char *buf, size_t len)
{
	const char *name;
	bool in_link = false;

	if (nl->has_miss_nest && nl->req &&
	    attr_at_offset(nl->req, nl->miss_nest, &in_link) ==
	    ZTBOND_A_LINK && !in_link)
		in_link = true;
	name = in_link ? link_attr_name((int)nl->miss_type) :
			 bond_attr_name((int)nl->miss_type);
	if (name)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "attribute %u", nl->miss_type);
	return buf;
}

static void report_kernel_error(struct ztb_nl *nl, const char *ctx)
{
	char where[96], miss[64];

	describe_offs(nl, where, sizeof(where));
	/* "(failoverTo)" adds nothing to "failoverTo must name ..." */
	if (where[0] && strlen(where) > 3) {
		char name[96];

		snprintf(name, sizeof(name), "%.*s", (int)strlen(where) - 3,
			 where + 2);
		if (strstr(nl->msg, name))
			where[0] = '\0';
	}
	/* every message names the bond (and link) it is about */
	if (nl->msg[0] && nl->err == EPERM) {
		ztb_err("%s%s%s%s (permission denied: CAP_NET_ADMIN needed)",
			ctx ? ctx : "", ctx ? ": " : "", nl->msg, where);
	} else if (nl->msg[0]) {
		ztb_err("%s%s%s%s", ctx ? ctx : "", ctx ? ": " : "", nl->msg,
			where);
	} else if (nl->err == EPERM) {
		ztb_err("%s%spermission denied (CAP_NET_ADMIN needed)",
			ctx ? ctx : "", ctx ? ": " : "");
	} else if (nl->has_miss) {
		ztb_err("%s%s%s: missing %s", ctx ? ctx : "", ctx ? ": " : "",
			strerror(nl->err), miss_name(nl, miss, sizeof(miss)));
	} else {
		ztb_err("%s%s%s%s", ctx ? ctx : "", ctx ? ": " : "",
			strerror(nl->err), where);
	}
}

int ztb_nl_exec(struct ztb_nl *nl, struct nl_msg *msg, ztb_msg_fn fn,
		void *arg, const char *ctx)
{
	int ret = -1;
	int err;

	nl->req = msg;
	nl->fn = fn;
	nl->arg = arg;
	nl->done = false;
	nl->err = 0;
	nl->cb_err = 0;
	nl->msg[0] = '\0';
	nl->has_offs = nl->has_miss = nl->has_miss_nest = false;

	err = nl_send_auto(nl->sk, msg);
	if (err < 0) {
		ztb_err("cannot send the request: %s", nl_geterror(err));
		goto out;
	}
	while (!nl->done) {
		err = nl_recvmsgs(nl->sk, nl->cb);
		if (nl->err || nl->cb_err)
			break;
		if (err < 0) {
			ztb_err("netlink: %s", nl_geterror(err));
			goto out;
		}
	}
	if (nl->err) {
		report_kernel_error(nl, ctx);
		goto out;
	}
	if (nl->cb_err) {
		ztb_err("%s", strerror(-nl->cb_err));
		goto out;
	}
	ret = 0;
out:
	nl->req = NULL;
	nlmsg_free(msg);
	return ret;
}

/* ---- monitor --------------------------------------------------------- */

static volatile sig_atomic_t ztb_stop;

static void on_signal(int sig)
{
	(void)sig;
	ztb_stop = 1;
}

static int event_cb(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *gh = nlmsg_data(nlh);
	struct ztb_nl *nl = arg;

	if (nlh->nlmsg_type != nl->family ||
	    nlmsg_datalen(nlh) < (int)GENL_HDRLEN || gh->cmd != ZTBOND_CMD_EVENT)
		return NL_SKIP;
	return valid_cb(msg, arg);
}

int ztb_nl_monitor(struct ztb_nl *nl, ztb_msg_fn fn, void *arg)
{
	struct sigaction sa;
	struct pollfd pfd;
	int grp, err;

	grp = genl_ctrl_resolve_grp(nl->sk, ZTBOND_GENL_NAME,
				    ZTBOND_GENL_MCGRP_EVENTS);
	if (grp < 0) {
		ztb_err("cannot find the \"%s\" multicast group of \"%s\": %s",
			ZTBOND_GENL_MCGRP_EVENTS, ZTBOND_GENL_NAME,
			nl_geterror(grp));
		return -1;
	}
	nl_socket_disable_seq_check(nl->sk);
	err = nl_socket_add_membership(nl->sk, grp);
	if (err < 0) {
		ztb_err("cannot join the events group: %s", nl_geterror(err));
		return -1;
	}
	/* Link flaps come in bursts; a roomy buffer keeps them. */
	nl_socket_set_buffer_size(nl->sk, 1 << 20, 0);
	nl_socket_set_nonblocking(nl->sk);

	nl->fn = fn;
	nl->arg = arg;
	nl_cb_set(nl->cb, NL_CB_VALID, NL_CB_CUSTOM, event_cb, nl);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: poll() returns */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	pfd.fd = nl_socket_get_fd(nl->sk);
	pfd.events = POLLIN;
	while (!ztb_stop) {
		if (poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			ztb_err("poll: %s", strerror(errno));
			return -1;
		}
		nl->cb_err = 0;
		err = nl_recvmsgs(nl->sk, nl->cb);
		if (nl->cb_err) {
			ztb_err("%s", strerror(-nl->cb_err));
			return -1;
		}
		if (err == -NLE_AGAIN || err >= 0)
			continue;
		if (err == -NLE_NOMEM) {	/* ENOBUFS: overrun */
			ztb_err("events were lost (receive buffer overrun)");
			continue;
		}
		if (err == -NLE_INTR)
			continue;
		ztb_err("netlink: %s", nl_geterror(err));
		return -1;
	}
	return 0;
}
