// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the ztbond engine (kmod/engine/): the control frame
 * parser, the replay and ratio windows, the dedup window and the per-path
 * loss tracker, quality scoring, the allocation arithmetic, the link
 * selection and balance-xor's buckets, exactly as compiled into ztbond.ko.
 * Built with -fsanitize=fuzzer,address,undefined; every invariant that
 * the module relies on is checked with abort().
 *
 * The first byte picks what the rest of the input feeds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

static u32 rd32(const u8 *p)
{
	u32 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void fuzz_wire(const u8 *p, size_t n)
{
	struct ztbe_wire w;

	if (n > 4096)
		return;
	if (ztbe_wire_parse(p, (u32)n, &w))
		return;
	/* what the module relies on after a successful parse */
	CHECK(w.type >= ZTBE_WIRE_HELLO && w.type <= ZTBE_WIRE_PROBE_REPLY);
	CHECK(w.len <= ZTBE_WIRE_HDR_LEN + ZTBE_WIRE_PROBE_LEN);
	CHECK(n == w.len + ((w.flags & ZTBE_WF_AUTH) ? ZTBE_WIRE_TAG_LEN : 0u));
	CHECK(n <= ZTBE_WIRE_MAX_LEN);
	CHECK(!(w.link_mac[0] & 1));
}

static void fuzz_windows(const u8 *p, size_t n)
{
	struct ztbe_window win;
	struct ztbe_replay r = { 0 };
	u64 seq, last_top = 0;
	size_t i;

	memset(&win, 0, sizeof(win));
	for (i = 0; i < n; i++) {
		ztbe_window_push(&win, p[i] & 1);
		CHECK(win.count <= ZTBE_WIN && win.bad <= win.count);
		CHECK(ztbe_window_ppm(&win) <= ZTBE_PPM);
	}
	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&seq, p + i, 8);
		if (ztbe_replay_ok(&r, seq))
			CHECK(!ztbe_replay_ok(&r, seq));	/* never twice */
		CHECK(r.top >= last_top);
		last_top = r.top;
	}
}

static void fuzz_quality(const u8 *p, size_t n)
{
	u32 m[ZTBE_MAX_LINKS][ZTBE_M_COUNT], q[ZTBE_MAX_LINKS], rtt[64];
	u32 mean, max, sd;
	struct ztbe_qparams qp;
	int links, i, j;

	ztbe_qparams_default(&qp);
	links = (int)(n / (4 * ZTBE_M_COUNT));
	if (links > ZTBE_MAX_LINKS)
		links = ZTBE_MAX_LINKS;
	for (i = 0; i < links; i++)
		for (j = 0; j < ZTBE_M_COUNT; j++)
			m[i][j] = rd32(p + 4 * (i * ZTBE_M_COUNT + j));
	ztbe_quality(&m[0][0], links, &qp, q);
	for (i = 0; i < links; i++)
		CHECK(q[i] <= ZTBE_PPM);
	for (i = 0; i < 64 && (size_t)(4 * i + 4) <= n; i++)
		rtt[i] = rd32(p + 4 * i);
	ztbe_rtt_stats(rtt, i, &mean, &max, &sd);
	CHECK(mean <= max);
	if (n >= 8)
		CHECK(ztbe_exp_neg_ppm(((u64)rd32(p) << 32) | rd32(p + 4)) <= ZTBE_PPM);
}

static void fuzz_alloc(const u8 *p, size_t n)
{
	u32 w[ZTBE_MAX_LINKS], share[ZTBE_MAX_LINKS], flows[ZTBE_MAX_LINKS];
	u8 seq[ZTBE_WSEQ];
	int k, i, from, to, steps = 0;
	u64 sum = 0;

	k = (int)(n / 8);
	if (k > ZTBE_MAX_LINKS)
		k = ZTBE_MAX_LINKS;
	if (!k)
		return;
	for (i = 0; i < k; i++) {
		w[i] = rd32(p + 8 * i) % (ZTBE_PPM + 1);
		flows[i] = rd32(p + 8 * i + 4) % 1000;
	}
	ztbe_shares(w, k, share);
	for (i = 0; i < k; i++)
		sum += share[i];
	CHECK(sum <= ZTBE_PPM && sum + (u64)k >= ZTBE_PPM - k);
	i = ztbe_pick_deficit(share, flows, k);
	CHECK(i >= 0 && i < k);
	ztbe_fill_wseq(share, k, seq, ZTBE_WSEQ);
	for (i = 0; i < ZTBE_WSEQ; i++)
		CHECK(seq[i] < k);
	/* rebalancing ends, and soon: every move strictly helps */
	while (ztbe_rebalance_step(share, flows, k, &from, &to)) {
		CHECK(from != to && flows[from] > 0);
		flows[from]--;
		flows[to]++;
		CHECK(++steps <= 1000 * ZTBE_MAX_LINKS);
	}
}

static void fuzz_buckets(const struct ztbe_link_view *v, int k);

static void fuzz_select(const u8 *p, size_t n)
{
	struct ztbe_link_view v[ZTBE_MAX_LINKS];
	int k = (int)(n / 6), i, cur, r;

	if (k > ZTBE_MAX_LINKS)
		k = ZTBE_MAX_LINKS;
	for (i = 0; i < k; i++) {
		v[i].usable = p[6 * i] & 1;
		v[i].enabled = p[6 * i] & 2;
		v[i].primary = p[6 * i] & 4;
		v[i].measured = p[6 * i] & 8;
		v[i].failover_to = (signed char)p[6 * i + 1];
		v[i].quality = rd32(p + 6 * i + 2) % (ZTBE_PPM + 1);
	}
	cur = n ? (signed char)p[n - 1] : -1;
	for (i = 0; i <= ZTBE_SELECT_OPTIMIZE; i++) {
		r = ztbe_ab_select(v, k, cur, (enum ztbe_select)i);
		CHECK(r == -1 || (r >= 0 && r < k && v[r].usable));
	}
	r = ztbe_none_select(v, k);
	CHECK(r == -1 || (r >= 0 && r < k && v[r].usable));
	fuzz_buckets(v, k);
}

/*
 * balance-xor's buckets: each names a usable link (index into them), and
 * every usable link keeps at least its home range.
 */
static void fuzz_buckets(const struct ztbe_link_view *v, int k)
{
	int count[ZTBE_MAX_LINKS] = { 0 }, nusable = 0, nhome = 0, i;
	u8 b[ZTBE_BUCKETS];

	ztbe_fill_buckets(b, ZTBE_BUCKETS, v, k);
	for (i = 0; i < k; i++) {
		nusable += v[i].usable;
		nhome += v[i].usable || v[i].enabled;
	}
	for (i = 0; i < ZTBE_BUCKETS; i++) {
		CHECK(b[i] < (nusable ? nusable : 1));
		count[b[i]]++;
	}
	for (i = 0; i < nusable; i++)
		CHECK(count[i] >= ZTBE_BUCKETS / nhome);
}

/*
 * The broadcast dedup window against a model that remembers every number
 * delivered: a number newer than the top is delivered, one a window or
 * more behind is not, and one in the window exactly once. And the per-path
 * loss tracker: a number twice in a row counts once, the newest is always
 * marked, nothing is lost that was never skipped.
 */
static void fuzz_sequences(const u8 *p, size_t n)
{
	static u64 seen[1024];
	struct ztbe_seqtrack t;
	struct ztbe_dedup d;
	u64 seq = 1ULL << 40, span = 0;
	int nseen = 0, j;
	size_t i;
	bool first, known;
	u32 rx;

	memset(&d, 0, sizeof(d));
	memset(&t, 0, sizeof(t));
	if (n > 2 * 1024)
		n = 2 * 1024;
	for (i = 0; i + 2 <= n; i += 2) {
		int step = (int)(p[i] | (p[i + 1] << 8));

		/* mostly small moves either way, sometimes a long jump */
		if ((step & 0xc000) == 0xc000)
			seq += (u64)(step & 0x3fff) << 8;
		else
			seq += (u64)((step & 0x7ff) - 1024);
		known = false;
		for (j = 0; j < nseen; j++)
			known |= seen[j] == seq;
		first = ztbe_dedup_first(&d, seq);
		if (seq + ZTBE_DEDUP_WINDOW <= d.top)
			CHECK(!first);
		else
			CHECK(first == !known);
		if (first && nseen < (int)(sizeof(seen) / sizeof(seen[0])))
			seen[nseen++] = seq;

		rx = t.rx;
		ztbe_seq_rx(&t, seq);
		CHECK(t.rx <= rx + 1);
		CHECK(t.seen & 1);
		ztbe_seq_rx(&t, seq);
		CHECK(t.rx <= rx + 1);
		span += 2048 + ((u64)(step & 0x3fff) << 8);
		CHECK(t.lost <= span);
	}
}

/*
 * The flow table: a small table driven by the input (two bytes a packet:
 * the flow's hash, a flow or a client, and a clock step). The table never
 * holds a flow twice, a flow just sent is found at once, a full bucket
 * evicts its least recently used way, and expiry drops exactly the
 * entries idle longer than the expiry.
 */
static void fuzz_flowtab(const u8 *p, size_t n)
{
	enum { BUCKETS = 4, SIZE = BUCKETS * ZTBE_FT_WAYS };
	struct ztbe_flow t[SIZE], *b;
	u32 now = 0xffffff00u, h, expire = 64;	/* crosses the jiffies wrap */
	bool client;
	size_t i;
	int w, v, j, k;
	u64 key;

	memset(t, 0, sizeof(t));
	for (i = 0; i + 2 <= n; i += 2) {
		h = p[i] & 0x3f;
		client = p[i] & 0x40;
		now += p[i + 1] & 0x1f;
		b = &t[(h & (BUCKETS - 1)) * ZTBE_FT_WAYS];
		w = ztbe_ft_find(b, h, client, &v, &key);
		if (w < 0) {
			CHECK(v >= 0 && v < ZTBE_FT_WAYS);
			CHECK(key == b[v].key);
			for (j = 0; j < ZTBE_FT_WAYS; j++) {
				/* a free way is taken before a used one */
				CHECK(ztbe_ft_valid(b[v].key) <=
				      ztbe_ft_valid(b[j].key));
				if (ztbe_ft_valid(b[v].key) &&
				    ztbe_ft_valid(b[j].key))
					CHECK((s32)(b[j].used - b[v].used) >= 0);
			}
			CHECK(ztbe_ft_add(b, h, client, p[i] >> 7, v, &key) == 1);
			b[v].used = now;
			w = v;
		} else {
			CHECK(ztbe_ft_hash(key) == h &&
			      ztbe_ft_client(key) == client);
			b[w].used = now;
		}
		CHECK(ztbe_ft_find(b, h, client, &v, &key) == w);
		for (j = 0; j < ZTBE_FT_WAYS; j++)
			for (k = j + 1; k < ZTBE_FT_WAYS; k++)
				CHECK(!ztbe_ft_valid(b[j].key) ||
				      (b[j].key & ~ZTBE_FT_ID_MASK) !=
				      (b[k].key & ~ZTBE_FT_ID_MASK));
		if (p[i + 1] & 0x80) {	/* the monitor's expiry pass */
			for (j = 0; j < SIZE; j++) {
				if (!ztbe_ft_valid(t[j].key))
					continue;
				CHECK(ztbe_ft_idle(t[j].used, now, expire) ==
				      (now - t[j].used > expire));
				if (ztbe_ft_idle(t[j].used, now, expire))
					t[j].key = 0;
			}
			CHECK(ztbe_ft_valid(t[(h & (BUCKETS - 1)) * ZTBE_FT_WAYS + w].key));
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	switch (data[0] % 7) {
	case 0: fuzz_wire(data + 1, size - 1); break;
	case 1: fuzz_windows(data + 1, size - 1); break;
	case 2: fuzz_quality(data + 1, size - 1); break;
	case 3: fuzz_alloc(data + 1, size - 1); break;
	case 4: fuzz_select(data + 1, size - 1); break;
	case 5: fuzz_sequences(data + 1, size - 1); break;
	case 6: fuzz_flowtab(data + 1, size - 1); break;
	}
	return 0;
}
