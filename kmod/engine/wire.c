// SPDX-License-Identifier: GPL-2.0
/*
 * ztbond engine: parsing of the control protocol's UDP payload
 * (Documentation/ztbond-protocol.rst), byte by byte so that the same code
 * runs in the module, in the unit tests and under libFuzzer. It reads at
 * most len bytes of p and trusts nothing in them.
 */
#include "engine.h"

static u16 ztbe_be16(const u8 *p)
{
	return (u16)(p[0] << 8 | p[1]);
}

static u32 ztbe_be32(const u8 *p)
{
	return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}

static u64 ztbe_be64(const u8 *p)
{
	return (u64)ztbe_be32(p) << 32 | ztbe_be32(p + 4);
}

static u32 ztbe_wire_body_len(u8 type)
{
	switch (type) {
	case ZTBE_WIRE_HELLO:
		return ZTBE_WIRE_HELLO_LEN;
	case ZTBE_WIRE_PROBE:
	case ZTBE_WIRE_PROBE_REPLY:
		return ZTBE_WIRE_PROBE_LEN;
	case ZTBE_WIRE_DATA:
		return ZTBE_WIRE_DATA_LEN;
	case ZTBE_WIRE_ECHO:
		return ZTBE_WIRE_ECHO_LEN;
	}
	return 0;
}

/*
 * Parse and validate a payload of len bytes. Returns 0 and fills w, or -1:
 * wrong magic or version, unknown type, a len field that does not match
 * the type, a control payload that is not exactly header + body (+ tag), a
 * DATA payload too short to carry an Ethernet header after the tag, a
 * sender MAC that is not unicast, or non-zero reserved fields. Of a DATA
 * payload only the header, body and tag are read (w->inner_off says where
 * the carried frame starts), so the caller needs only those linear.
 */
int ztbe_wire_parse(const u8 *p, u32 len, struct ztbe_wire *w)
{
	u32 blen, i, tlen;
	bool zero = true;

	if (len < ZTBE_WIRE_HDR_LEN)
		return -1;
	if (ztbe_be32(p) != ZTBE_WIRE_MAGIC || p[4] != ZTBE_WIRE_VERSION)
		return -1;
	w->type = p[5];
	blen = ztbe_wire_body_len(w->type);
	w->len = ztbe_be16(p + 6);
	w->flags = ztbe_be16(p + 40);
	if (!blen || w->len != ZTBE_WIRE_HDR_LEN + blen || ztbe_be16(p + 42) ||
	    (w->flags & ~(ZTBE_WF_AUTH | ZTBE_WF_ORDERED | ZTBE_WF_ECHO)) ||
	    ((w->flags & (ZTBE_WF_ORDERED | ZTBE_WF_ECHO)) &&
	     w->type != ZTBE_WIRE_DATA))
		return -1;
	tlen = (w->flags & ZTBE_WF_AUTH) ? ZTBE_WIRE_TAG_LEN : 0;
	w->inner_off = w->len + tlen;
	if (w->type == ZTBE_WIRE_DATA ? len < w->inner_off + ZTBE_ETH_HLEN :
					len != w->inner_off)
		return -1;
	w->bond_id = ztbe_be64(p + 8);
	w->seq = ztbe_be64(p + 16);
	for (i = 0; i < 6; i++) {
		w->link_mac[i] = p[24 + i];
		w->bond_mac[i] = p[30 + i];
		zero &= !p[24 + i];
	}
	/* a sender link MAC is unicast and not all zeros */
	if ((w->link_mac[0] & 1) || zero)
		return -1;
	w->link_ifindex = ztbe_be32(p + 36);
	if (w->type == ZTBE_WIRE_HELLO) {
		w->caps = ztbe_be32(p + 44);
		w->failover_interval = ztbe_be32(p + 48);
	} else if (w->type == ZTBE_WIRE_DATA) {
		w->bond_seq = ztbe_be64(p + 44);
	} else if (w->type == ZTBE_WIRE_ECHO) {
		w->echo_seq = ztbe_be64(p + 44);
		if (ztbe_be64(p + 52))
			return -1;
	} else {
		w->probe_seq = ztbe_be32(p + 44);
		w->timestamp = ztbe_be64(p + 52);
		if (ztbe_be32(p + 48))
			return -1;
	}
	w->tag = (w->flags & ZTBE_WF_AUTH) ? ztbe_be64(p + w->len) : 0;
	return 0;
}
