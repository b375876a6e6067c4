// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the ztbond engine: the selection rules of the static
 * policies, exactly as compiled into ztbond.ko.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "kselftest_harness.h"
#include "engine.h"
#include <linux/ztbond.h>

#define L(u, p, to) { .usable = (u), .enabled = true, .primary = (p), .failover_to = (to), \
			    .quality = ZTBE_PPM }

/* ztbondctl sends the uapi defaults for a policy without quality keys */
TEST(qparams_default_is_the_uapi_default)
{
	struct ztbe_qparams p;

	ztbe_qparams_default(&p);
	ASSERT_EQ(ZTBOND_DEF_Q_WEIGHT, p.weight[ZTBE_M_LAT]);
	ASSERT_EQ(0, p.weight[ZTBE_M_LTM]);
	ASSERT_EQ(ZTBOND_DEF_Q_WEIGHT, p.weight[ZTBE_M_PDV]);
	ASSERT_EQ(ZTBOND_DEF_Q_WEIGHT, p.weight[ZTBE_M_PLR]);
	ASSERT_EQ(ZTBOND_DEF_Q_WEIGHT, p.weight[ZTBE_M_PER]);
	ASSERT_EQ(0, p.weight[ZTBE_M_AVL]);
	ASSERT_EQ(ZTBOND_DEF_Q_LAT_MAX_US, p.max[ZTBE_M_LAT]);
	ASSERT_EQ(0, p.max[ZTBE_M_LTM]);
	ASSERT_EQ(ZTBOND_DEF_Q_PDV_MAX_US, p.max[ZTBE_M_PDV]);
	ASSERT_EQ(ZTBOND_DEF_Q_PLR_MAX_PPM, p.max[ZTBE_M_PLR]);
	ASSERT_EQ(ZTBOND_DEF_Q_PER_MAX_PPM, p.max[ZTBE_M_PER]);
	ASSERT_EQ(0, p.max[ZTBE_M_AVL]);
}

TEST(ab_prefers_first_primary)
{
	struct ztbe_link_view v[] = { L(1, 0, -1), L(1, 1, -1), L(1, 1, -1) };

	ASSERT_EQ(1, ztbe_ab_select(v, 3, -1, ZTBE_SELECT_ALWAYS));
}

TEST(ab_no_primary_takes_first_usable)
{
	struct ztbe_link_view v[] = { L(0, 0, -1), L(1, 0, -1), L(1, 0, -1) };

	ASSERT_EQ(1, ztbe_ab_select(v, 3, -1, ZTBE_SELECT_ALWAYS));
}

TEST(ab_nothing_usable)
{
	struct ztbe_link_view v[] = { L(0, 1, -1), L(0, 0, -1) };

	ASSERT_EQ(-1, ztbe_ab_select(v, 2, 0, ZTBE_SELECT_ALWAYS));
	ASSERT_EQ(-1, ztbe_ab_select(v, 0, -1, ZTBE_SELECT_ALWAYS));
}

TEST(ab_failover_follows_failover_to)
{
	/* primary 0 fails; failoverTo says 2, although 1 comes first */
	struct ztbe_link_view v[] = { L(0, 1, 2), L(1, 0, -1), L(1, 0, -1) };

	ASSERT_EQ(2, ztbe_ab_select(v, 3, 0, ZTBE_SELECT_ALWAYS));
	/* failoverTo not usable: first usable primary, then spare */
	v[2].usable = false;
	ASSERT_EQ(1, ztbe_ab_select(v, 3, 0, ZTBE_SELECT_ALWAYS));
}

TEST(ab_failover_to_chains)
{
	/* 0 -> 1 -> 3; 1 is down: 3, although 2 is the first spare */
	struct ztbe_link_view v[] = { L(0, 1, 1), L(0, 0, 3), L(1, 0, -1),
				      L(1, 0, -1) };

	ASSERT_EQ(3, ztbe_ab_select(v, 4, 0, ZTBE_SELECT_ALWAYS));
	/* the whole chain down: the failover queue */
	v[3].usable = false;
	ASSERT_EQ(2, ztbe_ab_select(v, 4, 0, ZTBE_SELECT_ALWAYS));
	/* a loop of unusable links ends */
	v[1].failover_to = 0;
	ASSERT_EQ(2, ztbe_ab_select(v, 4, 0, ZTBE_SELECT_ALWAYS));
	v[1].failover_to = 1;
	ASSERT_EQ(2, ztbe_ab_select(v, 4, 0, ZTBE_SELECT_ALWAYS));
}

TEST(ab_always_fails_back_to_primary)
{
	struct ztbe_link_view v[] = { L(1, 1, -1), L(1, 0, -1) };

	/* running on the spare while the primary is back */
	ASSERT_EQ(0, ztbe_ab_select(v, 2, 1, ZTBE_SELECT_ALWAYS));
}

TEST(ab_better_needs_better_quality)
{
	struct ztbe_link_view v[] = { L(1, 1, -1), L(1, 0, -1) };

	/* equal quality: better keeps the spare */
	ASSERT_EQ(1, ztbe_ab_select(v, 2, 1, ZTBE_SELECT_BETTER));
	v[1].quality = 600000;
	ASSERT_EQ(0, ztbe_ab_select(v, 2, 1, ZTBE_SELECT_BETTER));
	/* always does not ask */
	v[0].quality = 100000;
	ASSERT_EQ(0, ztbe_ab_select(v, 2, 1, ZTBE_SELECT_ALWAYS));
	ASSERT_EQ(1, ztbe_ab_select(v, 2, 1, ZTBE_SELECT_BETTER));
}

TEST(ab_optimize_moves_with_margin)
{
	struct ztbe_link_view v[] = { L(1, 1, -1), L(1, 0, -1), L(1, 0, -1) };

	v[0].quality = 950000;
	/* 5% better is within the margin: stay */
	ASSERT_EQ(0, ztbe_ab_select(v, 3, 0, ZTBE_SELECT_OPTIMIZE));
	v[0].quality = 500000;
	v[1].quality = 700000;
	/* clearly better, primary or not: the best one */
	ASSERT_EQ(2, ztbe_ab_select(v, 3, 0, ZTBE_SELECT_OPTIMIZE));
}

TEST(ab_failover_queue_by_quality)
{
	struct ztbe_link_view v[] = { L(0, 1, -1), L(1, 0, -1), L(1, 0, -1) };

	v[1].quality = 300000;
	ASSERT_EQ(2, ztbe_ab_select(v, 3, 0, ZTBE_SELECT_ALWAYS));
}

TEST(window_ratio_slides)
{
	struct ztbe_window w;
	int i;

	memset(&w, 0, sizeof(w));
	ASSERT_EQ(0U, ztbe_window_ppm(&w));
	for (i = 0; i < 100; i++)
		ztbe_window_push(&w, i % 20 == 0);
	ASSERT_EQ(50000U, ztbe_window_ppm(&w));
	/* fill the window with good outcomes: the bad ones slide out */
	for (i = 0; i < ZTBE_WIN; i++)
		ztbe_window_push(&w, false);
	ASSERT_EQ(0U, ztbe_window_ppm(&w));
	ASSERT_EQ(ZTBE_WIN, w.count);
	for (i = 0; i < ZTBE_WIN; i++)
		ztbe_window_push(&w, true);
	ASSERT_EQ(ZTBE_PPM, ztbe_window_ppm(&w));
}

TEST(replay_window)
{
	struct ztbe_replay r = { 0 };

	ASSERT_TRUE(ztbe_replay_ok(&r, 1000));
	ASSERT_FALSE(ztbe_replay_ok(&r, 1000));
	ASSERT_TRUE(ztbe_replay_ok(&r, 1002));
	ASSERT_TRUE(ztbe_replay_ok(&r, 1001));	/* reordered, once */
	ASSERT_FALSE(ztbe_replay_ok(&r, 1001));
	ASSERT_FALSE(ztbe_replay_ok(&r, 900));	/* too old */
	ASSERT_TRUE(ztbe_replay_ok(&r, 5000));
	ASSERT_FALSE(ztbe_replay_ok(&r, 1002));
}

TEST(dedup_window)
{
	static struct ztbe_dedup d;
	u64 base = 1700000000000000000ULL, i;

	ASSERT_TRUE(ztbe_dedup_first(&d, base));
	ASSERT_FALSE(ztbe_dedup_first(&d, base));	/* the copy */
	ASSERT_TRUE(ztbe_dedup_first(&d, base + 2));
	ASSERT_TRUE(ztbe_dedup_first(&d, base + 1));	/* late, first time */
	ASSERT_FALSE(ztbe_dedup_first(&d, base + 1));
	/* a whole window of frames, each copy after its original */
	for (i = 3; i < 3 + 4 * ZTBE_DEDUP_BITS; i++) {
		ASSERT_TRUE(ztbe_dedup_first(&d, base + i));
		ASSERT_FALSE(ztbe_dedup_first(&d, base + i));
	}
	/* copies lagging by up to the window are still told apart */
	base += 10 * ZTBE_DEDUP_BITS;
	for (i = 0; i < ZTBE_DEDUP_WINDOW; i++)
		ASSERT_TRUE(ztbe_dedup_first(&d, base + i));
	for (i = 0; i < ZTBE_DEDUP_WINDOW; i++)
		ASSERT_FALSE(ztbe_dedup_first(&d, base + i));
	/* older than the window: refused, never delivered twice */
	ASSERT_TRUE(ztbe_dedup_first(&d, base + 5000));
	ASSERT_FALSE(ztbe_dedup_first(&d, base + 5000 - ZTBE_DEDUP_WINDOW));
	ASSERT_TRUE(ztbe_dedup_first(&d, base + 5000 - ZTBE_DEDUP_WINDOW + 1));
	/* a jump far ahead clears everything */
	ASSERT_TRUE(ztbe_dedup_first(&d, base + (1ULL << 40)));
	ASSERT_TRUE(ztbe_dedup_first(&d, base + (1ULL << 40) - 1));
}

TEST(rtt_stats)
{
	u32 s[] = { 10000, 20000, 30000, 40000 };
	u32 mean, max, sd;

	ztbe_rtt_stats(s, 4, &mean, &max, &sd);
	ASSERT_EQ(25000U, mean);
	ASSERT_EQ(40000U, max);
	ASSERT_EQ(11180U, sd);	/* sqrt(125e6) */
	ztbe_rtt_stats(s, 0, &mean, &max, &sd);
	ASSERT_EQ(0U, mean);
}

TEST(exp_table)
{
	/* exp(0) = 1, exp(-1) = 0.367879, exp(-4) = 0.018316 */
	ASSERT_EQ(ZTBE_PPM, ztbe_exp_neg_ppm(0));
	ASSERT_LT(abs((int)ztbe_exp_neg_ppm(1 << 16) - 367879), 400);
	ASSERT_LT(abs((int)ztbe_exp_neg_ppm(4 << 16) - 18316), 40);
	ASSERT_EQ(0U, ztbe_exp_neg_ppm(30ULL << 16));
	/* metric at its maximum scores exp(-4) */
	ASSERT_LT(abs((int)ztbe_metric_score(500000, 500000) - 18316), 40);
	ASSERT_EQ(ZTBE_PPM, ztbe_metric_score(123, 0));
}

TEST(quality_relative_to_best)
{
	struct ztbe_qparams p;
	u32 m[2][ZTBE_M_COUNT] = { { 0 } };
	u32 q[2];

	ztbe_qparams_default(&p);
	ASSERT_TRUE(ztbe_qparams_valid(&p));
	m[0][ZTBE_M_LAT] = 1000;
	m[1][ZTBE_M_LAT] = 80000;	/* +80 ms */
	ztbe_quality(&m[0][0], 2, &p, q);
	ASSERT_EQ(ZTBE_PPM, q[0]);
	ASSERT_LT(q[1], q[0]);
	ASSERT_GT(q[1], 750000);	/* only the latency quarter suffers */
	/* 5% loss against a 10% maximum costs most of the loss quarter */
	m[1][ZTBE_M_LAT] = 1000;
	m[1][ZTBE_M_PLR] = 50000;
	ztbe_quality(&m[0][0], 2, &p, q);
	ASSERT_LT(q[1], 800000);
	ASSERT_FALSE(ztbe_over_max(m[1], &p));
	m[1][ZTBE_M_PLR] = 200000;
	ASSERT_TRUE(ztbe_over_max(m[1], &p));
	p.weight[ZTBE_M_LAT] += 1;
	ASSERT_FALSE(ztbe_qparams_valid(&p));
}

TEST(punishment_grows_and_caps)
{
	ASSERT_EQ(8000U, ztbe_punish_next(8000, 0, 600000));
	ASSERT_EQ(24000U, ztbe_punish_next(8000, 8000, 600000));
	ASSERT_EQ(600000U, ztbe_punish_next(8000, 500000, 600000));
	ASSERT_EQ(0U, ztbe_punish_next(0, 5000, 600000));
}

TEST(shares_proportional)
{
	u32 w[] = { 4, 2, 1 }, sh[3], z[] = { 0, 0 }, sz[2];

	ztbe_shares(w, 3, sh);
	ASSERT_EQ(571428U, sh[0]);
	ASSERT_EQ(285714U, sh[1]);
	ASSERT_EQ(142857U, sh[2]);
	ztbe_shares(z, 2, sz);
	ASSERT_EQ(500000U, sz[0]);
}

/* 1 MB in a second is 8000 kbit/s; only busy seconds count; they age out */
TEST(capacity_busy_seconds_only)
{
	struct ztbe_cap c;
	int i;

	memset(&c, 0, sizeof(c));
	ASSERT_EQ(0U, ztbe_cap_estimate(&c));
	ztbe_cap_sample(&c, 1000000, 1000000000ULL, false);
	ASSERT_EQ(0U, ztbe_cap_estimate(&c));
	ztbe_cap_sample(&c, 1000000, 1000000000ULL, true);
	ASSERT_EQ(8000U, ztbe_cap_estimate(&c));
	/* a longer interval: the rate, not the bytes */
	ztbe_cap_sample(&c, 1000000, 2000000000ULL, true);
	ASSERT_EQ(8000U, ztbe_cap_estimate(&c));
	ztbe_cap_sample(&c, 2000000, 1000000000ULL, true);
	ASSERT_EQ(16000U, ztbe_cap_estimate(&c));
	/* idle seconds push the busy ones out after ZTBE_CAP_SLOTS samples */
	for (i = 0; i < ZTBE_CAP_SLOTS - 1; i++)
		ztbe_cap_sample(&c, 0, 1000000000ULL, false);
	ASSERT_EQ(16000U, ztbe_cap_estimate(&c));
	ztbe_cap_sample(&c, 0, 1000000000ULL, false);
	ASSERT_EQ(0U, ztbe_cap_estimate(&c));
	/* 10 Gbit/s for 10 s does not overflow; no time is no sample */
	ztbe_cap_sample(&c, 12500000000ULL, 10000000000ULL, true);
	ASSERT_EQ(10000000U, ztbe_cap_estimate(&c));
	ztbe_cap_sample(&c, 5, 0, true);
	ASSERT_EQ(10000000U, ztbe_cap_estimate(&c));
}

/* quality x capacity relative to the largest; unknown counts as the largest */
TEST(auto_weights_quality_times_capacity)
{
	u32 q[] = { 1000000, 1000000, 1000000 }, q2[] = { 500000, 1000000, 1000000 };
	u32 cap[] = { 8000, 4000, 2000 }, some[] = { 2000, 0, 4000 }, none[3] = { 0 };
	u32 w[3], sh[3];
	const struct {
		const u32 *q, *cap;
		u32 w[3];
	} c[] = {
		{ q, cap, { 1000000, 500000, 250000 } },
		{ q2, cap, { 500000, 500000, 250000 } },
		{ q, some, { 500000, 1000000, 1000000 } },
		{ q2, none, { 500000, 1000000, 1000000 } },
	};
	unsigned int i, j;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		ztbe_auto_weights(c[i].q, c[i].cap, 3, w);
		for (j = 0; j < 3; j++)
			EXPECT_EQ(c[i].w[j], w[j]) TH_LOG("case %u link %u", i, j);
	}
	/* 8:4:2 of equal quality is 4:2:1 */
	ztbe_auto_weights(q, cap, 3, w);
	ztbe_shares(w, 3, sh);
	ASSERT_EQ(571428U, sh[0]);
	ASSERT_EQ(285714U, sh[1]);
	ASSERT_EQ(142857U, sh[2]);
}

TEST(ab_failure_keeps_current)
{
	struct ztbe_link_view v[] = { L(1, 1, -1), L(1, 0, -1) };

	ASSERT_EQ(1U, ztbe_ab_select(v, 2, 1, ZTBE_SELECT_FAILURE));
	v[1].usable = false;
	ASSERT_EQ(0U, ztbe_ab_select(v, 2, 1, ZTBE_SELECT_FAILURE));
}

TEST(ab_keeps_current_primary)
{
	/* two primaries: no flapping back to the first while the second works */
	struct ztbe_link_view v[] = { L(1, 1, -1), L(1, 1, -1) };

	ASSERT_EQ(1U, ztbe_ab_select(v, 2, 1, ZTBE_SELECT_ALWAYS));
}

TEST(ab_stale_current_index)
{
	struct ztbe_link_view v[] = { L(1, 0, -1) };

	ASSERT_EQ(0U, ztbe_ab_select(v, 1, 5, ZTBE_SELECT_ALWAYS));
}

TEST(none_never_fails_over)
{
	struct ztbe_link_view v[] = { L(1, 0, -1), L(1, 0, -1) };

	ASSERT_EQ(0U, ztbe_none_select(v, 2));
	v[0].usable = false;
	ASSERT_EQ(-1, ztbe_none_select(v, 2));
	/* a disabled first link is skipped: "enabled": false removes it */
	v[0].enabled = false;
	ASSERT_EQ(1U, ztbe_none_select(v, 2));
}

TEST(usable_set_keeps_order)
{
	struct ztbe_link_view v[] = { L(1, 0, -1), L(0, 0, -1), L(1, 0, -1) };
	u8 out[ZTBE_MAX_LINKS];

	ASSERT_EQ(2U, ztbe_usable_set(v, 3, out));
	ASSERT_EQ(0U, out[0]);
	ASSERT_EQ(2U, out[1]);
}

/* balance-xor's buckets over n links that are all usable. */
static void fill_usable(u8 *b, int n)
{
	struct ztbe_link_view v[ZTBE_MAX_LINKS];
	int i;

	memset(v, 0, sizeof(v));
	for (i = 0; i < n; i++)
		v[i].usable = v[i].enabled = true;
	ztbe_fill_buckets(b, ZTBE_BUCKETS, v, n);
}

TEST(buckets_are_ranges)
{
	u8 b[ZTBE_BUCKETS];
	int n, i, count[ZTBE_MAX_LINKS];

	for (n = 1; n <= ZTBE_MAX_LINKS; n++) {
		memset(count, 0, sizeof(count));
		fill_usable(b, n);
		for (i = 0; i < ZTBE_BUCKETS; i++) {
			ASSERT_EQ(i * n / ZTBE_BUCKETS, b[i]);
			/* one contiguous range per link, in link order */
			if (i)
				ASSERT_LE(b[i - 1], b[i]);
			count[b[i]]++;
		}
		/* every link gets its part of the table, give or take one */
		for (i = 0; i < n; i++) {
			ASSERT_GE(count[i], ZTBE_BUCKETS / n);
			ASSERT_LE(count[i], ZTBE_BUCKETS / n + 1);
		}
	}
	fill_usable(b, 0);
	ASSERT_EQ(0U, b[17]);
}

/*
 * A link lost moves its own buckets, spread evenly over the others, and no
 * other; when it is back the table is as before. A disabled link has no
 * range: the others share the table as if it were not there.
 */
TEST(xor_lost_link_moves_only_its_buckets)
{
	struct ztbe_link_view v[ZTBE_MAX_LINKS];
	u8 all[ZTBE_BUCKETS], lost[ZTBE_BUCKETS], back[ZTBE_BUCKETS];
	u8 ref[ZTBE_BUCKETS];
	int n, dead, i, t, got[ZTBE_MAX_LINKS], moved;

	for (n = 2; n <= 8; n++) {
		for (dead = 0; dead < n; dead++) {
			memset(v, 0, sizeof(v));
			for (i = 0; i < n; i++)
				v[i].usable = v[i].enabled = true;
			ztbe_fill_buckets(all, ZTBE_BUCKETS, v, n);
			v[dead].usable = false;
			ztbe_fill_buckets(lost, ZTBE_BUCKETS, v, n);
			memset(got, 0, sizeof(got));
			moved = 0;
			for (i = 0; i < ZTBE_BUCKETS; i++) {
				/* tx index of the usable links -> view index */
				t = lost[i] < dead ? lost[i] : lost[i] + 1;
				ASSERT_LT(lost[i], n - 1);
				if (all[i] != dead) {
					ASSERT_EQ(all[i], t);
				} else {
					ASSERT_NE(dead, t);
					got[t]++;
					moved++;
				}
			}
			for (i = 0; i < n; i++) {
				if (i == dead)
					continue;
				ASSERT_GE(got[i], moved / (n - 1));
				ASSERT_LE(got[i], moved / (n - 1) + 1);
			}
			v[dead].usable = true;
			ztbe_fill_buckets(back, ZTBE_BUCKETS, v, n);
			ASSERT_EQ(0, memcmp(all, back, sizeof(all)));

			/* disabled: the others' ranges, as with n - 1 links */
			v[dead].usable = v[dead].enabled = false;
			ztbe_fill_buckets(lost, ZTBE_BUCKETS, v, n);
			fill_usable(ref, n - 1);
			ASSERT_EQ(0, memcmp(ref, lost, sizeof(ref)));
		}
	}
	/* none usable: every bucket names index 0 (the bond drops) */
	memset(v, 0, sizeof(v));
	v[0].enabled = v[1].enabled = true;
	ztbe_fill_buckets(lost, ZTBE_BUCKETS, v, 2);
	ASSERT_EQ(0, lost[100]);
}

TEST(xor_flow_id_is_zerotiers)
{
	ASSERT_EQ((1234u ^ 80u ^ 6u), ztbe_xor_flow_id(1234, 80, 6));
	/* symmetric: both directions of a flow hash alike */
	ASSERT_EQ(ztbe_xor_flow_id(80, 1234, 6), ztbe_xor_flow_id(1234, 80, 6));
	ASSERT_TRUE(ztbe_proto_has_ports(ZTBE_PROTO_TCP));
	ASSERT_TRUE(ztbe_proto_has_ports(ZTBE_PROTO_UDP));
	ASSERT_TRUE(ztbe_proto_has_ports(ZTBE_PROTO_SCTP));
	ASSERT_TRUE(ztbe_proto_has_ports(ZTBE_PROTO_UDPLITE));
	ASSERT_FALSE(ztbe_proto_has_ports(1));	/* ICMP */
}

/* The link a TCP/UDP flow takes with n usable links. */
static int xor_link(const u8 *b, u16 sport, u16 dport, u8 proto)
{
	return b[ztbe_bucket(ztbe_xor_flow_id(sport, dport, proto))];
}

TEST(xor_spreads_sixteen_flows)
{
	u8 b[ZTBE_BUCKETS];
	int udp[4], tcp[4];
	int n, i;

	for (n = 2; n <= 4; n++) {
		memset(udp, 0, sizeof(udp));
		memset(tcp, 0, sizeof(tcp));
		fill_usable(b, n);
		for (i = 0; i < 16; i++) {
			udp[xor_link(b, 40000 + i, 5201, ZTBE_PROTO_UDP)]++;
			/* connect() takes even ephemeral ports */
			tcp[xor_link(b, 40000 + 2 * i, 5201, ZTBE_PROTO_TCP)]++;
		}
		for (i = 0; i < n; i++) {
			ASSERT_GE(udp[i], 16 / n - 2);
			ASSERT_GE(tcp[i], 16 / n - 2);
		}
	}
}

/*
 * The parity bug of a folding bucket: Linux's connect() takes even
 * ephemeral ports, so the flow ids of one host's connections to one port
 * share their low bit, and "bucket mod 2" put every one of them on the same
 * link. Any 16 connections in a row, to a few common ports, over the whole
 * default ephemeral range: every link gets at least half its share.
 */
TEST(xor_even_ephemeral_ports_use_every_link)
{
	static const u16 dports[] = { 22, 80, 443, 5201, 9993 };
	int cnt[4], total[4];
	u8 b[ZTBE_BUCKETS];
	int n, d, base, i;

	for (n = 2; n <= 4; n++) {
		fill_usable(b, n);
		for (d = 0; d < (int)(sizeof(dports) / sizeof(dports[0])); d++) {
			memset(total, 0, sizeof(total));
			for (base = 32768; base + 2 * 16 <= 61000; base += 2) {
				memset(cnt, 0, sizeof(cnt));
				for (i = 0; i < 16; i++)
					cnt[xor_link(b, base + 2 * i, dports[d],
						     ZTBE_PROTO_TCP)]++;
				for (i = 0; i < n; i++)
					ASSERT_GE(cnt[i], 16 / n / 2) {
						TH_LOG("%d links, port %u, ports %d..: link %d has %d of 16",
						       n, dports[d], base, i, cnt[i]);
					}
				total[xor_link(b, base, dports[d], ZTBE_PROTO_TCP)]++;
			}
			/* and over the whole range, each link within 2% of 1/n */
			for (i = 0; i < n; i++) {
				ASSERT_GE(total[i] * n * 100, 98 * 14100);
				ASSERT_LE(total[i] * n * 100, 102 * 14100);
			}
		}
	}
}

TEST(bucket_in_range)
{
	unsigned int id;

	for (id = 0; id < (1u << 20); id += 7)
		ASSERT_LT(ztbe_bucket(id), (unsigned int)ZTBE_BUCKETS);
	ASSERT_LT(ztbe_bucket(0xffffffffu), (unsigned int)ZTBE_BUCKETS);
}

TEST_HARNESS_MAIN

TEST(deficit_places_flows_proportionally)
{
	u32 share[3] = { 571428, 285714, 142858 }, flows[3] = { 0, 0, 0 };
	int i;

	for (i = 0; i < 8; i++)
		flows[ztbe_pick_deficit(share, flows, 3)]++;
	ASSERT_EQ(5U, flows[0]);
	ASSERT_EQ(2U, flows[1]);
	ASSERT_EQ(1U, flows[2]);
	for (i = 0; i < 692; i++)
		flows[ztbe_pick_deficit(share, flows, 3)]++;
	ASSERT_EQ(400U, flows[0]);
	ASSERT_EQ(200U, flows[1]);
	ASSERT_EQ(100U, flows[2]);
}

TEST(rebalance_moves_few)
{
	u32 share[3] = { 571428, 285714, 142858 }, flows[3] = { 2, 2, 4 };
	int from, to, moves = 0;

	while (ztbe_rebalance_step(share, flows, 3, &from, &to)) {
		flows[from]--;
		flows[to]++;
		moves++;
		ASSERT_LT(moves, 10);
	}
	/* 2:2:4 -> 5:2:1 takes exactly three moves */
	ASSERT_EQ(3, moves);
	ASSERT_EQ(5U, flows[0]);
	ASSERT_EQ(1U, flows[2]);
	/* balanced already: nothing moves */
	ASSERT_EQ(0, ztbe_rebalance_step(share, flows, 3, &from, &to));
}

/*
 * The splits seen flapping in the VM: measured shares of equal links that
 * differ by noise, and one short flow more on one link. None of them moves
 * a flow; a real imbalance still does, and so does a large one.
 */
TEST(rebalance_ignores_noise)
{
	u32 eq3[3] = { 333696, 333567, 332737 }, eq2[2] = { 500105, 499895 };
	u32 big[2] = { 500500, 499500 };
	u32 f3[3] = { 8, 9, 8 }, f2[2] = { 13, 14 }, g2[2] = { 505, 495 };
	int from, to;

	ASSERT_EQ(0, ztbe_rebalance_step(eq3, f3, 3, &from, &to));
	ASSERT_EQ(0, ztbe_rebalance_step(eq2, f2, 2, &from, &to));
	/* 1% of 1000 flows is within the noise of a measured share */
	ASSERT_EQ(0, ztbe_rebalance_step(big, g2, 2, &from, &to));
	f3[0] = 7;
	f3[1] = 9;
	ASSERT_EQ(1, ztbe_rebalance_step(eq3, f3, 3, &from, &to));
	ASSERT_EQ(1, from);
	ASSERT_EQ(0, to);
	g2[0] = 520;
	g2[1] = 480;
	ASSERT_EQ(1, ztbe_rebalance_step(big, g2, 2, &from, &to));
	ASSERT_EQ(0, from);
}

TEST(wseq_follows_shares)
{
	u32 share[3] = { 571428, 285714, 142858 }, cnt[3] = { 0, 0, 0 };
	u8 seq[ZTBE_WSEQ];
	int i;

	ztbe_fill_wseq(share, 3, seq, ZTBE_WSEQ);
	for (i = 0; i < ZTBE_WSEQ; i++) {
		ASSERT_LT(seq[i], 3);
		cnt[seq[i]]++;
	}
	ASSERT_LT(abs((int)cnt[0] - 585), 3);
	ASSERT_LT(abs((int)cnt[1] - 293), 3);
	ASSERT_LT(abs((int)cnt[2] - 146), 3);
	/* spread: the smallest share never waits more than ~8 turns */
	for (i = 0; i + 8 < ZTBE_WSEQ; i += 8) {
		int j, seen = 0;

		for (j = i; j < i + 8; j++)
			seen |= seq[j] == 2;
		ASSERT_TRUE(seen);
	}
}

/* A valid PROBE payload as the module builds it. */
static int wire_probe(u8 *p, bool auth)
{
	static const u8 hdr[44] = {
		0x5a, 0x54, 0x42, 0x44, 1, 2, 0, 60,
		1, 2, 3, 4, 5, 6, 7, 8,			/* bond id */
		0, 0, 0, 0, 0, 0, 0, 9,			/* seq */
		0x02, 0, 0, 0, 0, 1,			/* link MAC */
		0x02, 0, 0, 0, 0, 0xb,			/* bond MAC */
		0, 0, 0, 7,				/* ifindex */
		0, 0, 0, 0,				/* flags, reserved */
	};
	int n = 60;

	memcpy(p, hdr, sizeof(hdr));
	memset(p + 44, 0, 16);
	p[47] = 5;				/* probe seq */
	p[59] = 0x42;				/* timestamp */
	if (auth) {
		p[41] = 1;
		memset(p + 60, 0xab, 8);
		n += 8;
	}
	return n;
}

TEST(wire_parses_valid)
{
	struct ztbe_wire w;
	u8 p[80];
	int n = wire_probe(p, false);

	ASSERT_EQ(0, ztbe_wire_parse(p, n, &w));
	ASSERT_EQ(ZTBE_WIRE_PROBE, w.type);
	ASSERT_EQ(0x0102030405060708ULL, w.bond_id);
	ASSERT_EQ(9U, w.seq);
	ASSERT_EQ(5U, w.probe_seq);
	ASSERT_EQ(0x42U, w.timestamp);
	ASSERT_EQ(7U, w.link_ifindex);
	n = wire_probe(p, true);
	ASSERT_EQ(0, ztbe_wire_parse(p, n, &w));
	ASSERT_EQ(0xababababababababULL, w.tag);
}

/* A DATA payload carrying a 14-byte Ethernet header and 2 bytes. */
static int wire_data_frame(u8 *p, bool auth)
{
	int n = wire_probe(p, false), off;

	(void)n;
	p[5] = ZTBE_WIRE_DATA;
	p[7] = 52;
	memset(p + 44, 0, 8);
	p[44] = 0x18;				/* bond sequence */
	p[51] = 0x77;
	off = 52;
	if (auth) {
		p[41] = 1;
		memset(p + 52, 0xcd, 8);
		off += 8;
	}
	memset(p + off, 0xee, 16);
	return off + 16;
}

TEST(wire_data)
{
	struct ztbe_wire w;
	u8 p[96];
	int n, i;

	n = wire_data_frame(p, false);
	ASSERT_EQ(0, ztbe_wire_parse(p, n, &w));
	ASSERT_EQ(ZTBE_WIRE_DATA, w.type);
	ASSERT_EQ(0x1800000000000077ULL, w.bond_seq);
	ASSERT_EQ(52U, w.inner_off);
	n = wire_data_frame(p, true);
	ASSERT_EQ(0, ztbe_wire_parse(p, n, &w));
	ASSERT_EQ(60U, w.inner_off);
	ASSERT_EQ(0xcdcdcdcdcdcdcdcdULL, w.tag);
	/* anything shorter than header, sequence, tag and Ethernet header */
	for (i = 0; i < 60 + ZTBE_ETH_HLEN; i++)
		ASSERT_EQ(-1, ztbe_wire_parse(p, i, &w));
	ASSERT_EQ(0, ztbe_wire_parse(p, 60 + ZTBE_ETH_HLEN, &w));
	n = wire_data_frame(p, false);
	p[7] = 60;				/* len of a PROBE */
	ASSERT_EQ(-1, ztbe_wire_parse(p, n, &w));
	/* ORDERED (balance-rr's reorder window) is a DATA flag only */
	n = wire_data_frame(p, true);
	p[41] |= ZTBE_WF_ORDERED;
	ASSERT_EQ(0, ztbe_wire_parse(p, n, &w));
	ASSERT_EQ(ZTBE_WF_AUTH | ZTBE_WF_ORDERED, w.flags);
	n = wire_probe(p, false);
	p[41] = ZTBE_WF_ORDERED;
	ASSERT_EQ(-1, ztbe_wire_parse(p, n, &w));
}

TEST(wire_rejects_malformed)
{
	struct ztbe_wire w;
	u8 p[80];
	int n, i;

	n = wire_probe(p, false);
	for (i = 0; i < n; i++)		/* every truncation */
		ASSERT_EQ(-1, ztbe_wire_parse(p, i, &w));
	ASSERT_EQ(-1, ztbe_wire_parse(p, n + 1, &w));	/* trailing byte */
	p[4] = 2;				/* version */
	ASSERT_EQ(-1, ztbe_wire_parse(p, n, &w));
	n = wire_probe(p, false);
	p[5] = 9;				/* type */
	ASSERT_EQ(-1, ztbe_wire_parse(p, n, &w));
	n = wire_probe(p, false);
	p[24] = 0x01;				/* multicast sender */
	ASSERT_EQ(-1, ztbe_wire_parse(p, n, &w));
	n = wire_probe(p, false);
	p[41] = 1;				/* AUTH without a tag */
	ASSERT_EQ(-1, ztbe_wire_parse(p, n, &w));
	n = wire_probe(p, false);
	p[40] = 0x80;				/* unknown flag */
	ASSERT_EQ(-1, ztbe_wire_parse(p, n, &w));
	n = wire_probe(p, false);
	p[7] = 52;				/* len of a HELLO */
	ASSERT_EQ(-1, ztbe_wire_parse(p, n, &w));
}

/* ECHO: a probe-sized body naming a DATA frame's header sequence. */
TEST(wire_echo)
{
	struct ztbe_wire w;
	u8 p[80];
	int n;

	n = wire_probe(p, false);
	p[5] = ZTBE_WIRE_ECHO;
	memset(p + 44, 0, 16);
	p[44] = 0x18;
	p[51] = 0x77;
	ASSERT_EQ(0, ztbe_wire_parse(p, n, &w));
	ASSERT_EQ(ZTBE_WIRE_ECHO, w.type);
	ASSERT_EQ(0x1800000000000077ULL, w.echo_seq);
	p[59] = 1;				/* reserved */
	ASSERT_EQ(-1, ztbe_wire_parse(p, n, &w));
	p[59] = 0;
	p[41] = ZTBE_WF_ECHO;			/* a DATA flag only */
	ASSERT_EQ(-1, ztbe_wire_parse(p, n, &w));
	n = wire_data_frame(p, true);
	p[41] |= ZTBE_WF_ECHO;
	ASSERT_EQ(0, ztbe_wire_parse(p, n, &w));
	ASSERT_EQ(ZTBE_WF_AUTH | ZTBE_WF_ECHO, w.flags);
}

TEST(seqtrack_in_order_and_gaps)
{
	struct ztbe_seqtrack t = { 0 };
	u64 base = 1700000000000000000ULL, i;

	for (i = 0; i < 1000; i++)
		ztbe_seq_rx(&t, base + i);
	ASSERT_EQ(1000U, t.rx);
	ASSERT_EQ(0U, t.lost);
	/* every 10th lost: counted once it leaves the 64-frame window */
	for (i = 1000; i < 2000; i++)
		if (i % 10)
			ztbe_seq_rx(&t, base + i);
	ASSERT_EQ(1900U, t.rx);
	ASSERT_GE(t.lost, 100U - 7);
	ASSERT_LE(t.lost, 100U);
	for (i = 2000; i < 2100; i++)
		ztbe_seq_rx(&t, base + i);
	ASSERT_EQ(100U, t.lost);
	/* a gap of 300 at once */
	ztbe_seq_rx(&t, base + 2400);
	for (i = 2401; i < 2500; i++)
		ztbe_seq_rx(&t, base + i);
	ASSERT_EQ(100U + 300, t.lost);
	ASSERT_EQ(0U, t.resyncs);
}

TEST(seqtrack_reordering_and_duplicates)
{
	struct ztbe_seqtrack t = { 0 };
	u64 base = 5000, i;

	ztbe_seq_rx(&t, base);
	/* pairs swapped (two CPUs), and a frame 40 late */
	for (i = 1; i < 1000; i += 2) {
		ztbe_seq_rx(&t, base + i + 1);
		if (i != 501)
			ztbe_seq_rx(&t, base + i);
		if (i == 541)
			ztbe_seq_rx(&t, base + 501);
	}
	ASSERT_EQ(0U, t.lost);
	ASSERT_EQ(1001U, t.rx);
	/* duplicates count once */
	ztbe_seq_rx(&t, base + 999);
	ztbe_seq_rx(&t, base + 1000);
	ASSERT_EQ(1001U, t.rx);
	/* older than the window: it was counted lost, not received */
	for (i = 1001; i < 1200; i++)
		if (i != 1100)
			ztbe_seq_rx(&t, base + i);
	ztbe_seq_rx(&t, base + 1100);
	ASSERT_EQ(1U, t.lost);
	ASSERT_EQ(1001U + 198, t.rx);
}

TEST(seqtrack_resync)
{
	struct ztbe_seqtrack t = { 0 };
	u64 base = 1700000000000000000ULL, i;

	for (i = 0; i < 100; i++)
		ztbe_seq_rx(&t, base + i);
	/* the sender restarted: its sequence starts at its clock again */
	ztbe_seq_rx(&t, base + 9000000000ULL);
	for (i = 1; i < 100; i++)
		ztbe_seq_rx(&t, base + 9000000000ULL + i);
	ASSERT_EQ(0U, t.lost);
	ASSERT_EQ(1U, t.resyncs);
	/* far behind (another sender behind a reused path): start over */
	ztbe_seq_rx(&t, base);
	for (i = 1; i < 100; i++)
		ztbe_seq_rx(&t, base + i);
	ASSERT_EQ(0U, t.lost);
	ASSERT_EQ(2U, t.resyncs);
	/* just under the resync distance is loss */
	ztbe_seq_rx(&t, base + 99 + ZTBE_SEQ_RESYNC - 1);
	for (i = 0; i < 64; i++)
		ztbe_seq_rx(&t, base + 99 + ZTBE_SEQ_RESYNC + i);
	ASSERT_EQ((u32)ZTBE_SEQ_RESYNC - 2, t.lost);
	ASSERT_EQ(2U, t.resyncs);
}

TEST(window_fold)
{
	static struct ztbe_window w;

	ztbe_window_fold(&w, 95, 5);
	ASSERT_EQ(100, w.count);
	ASSERT_EQ(5, w.bad);
	/* more than a window: scaled, ratio kept */
	ztbe_window_fold(&w, 95000, 5000);
	ASSERT_EQ(ZTBE_WIN, w.count);
	ASSERT_EQ(51, w.bad);
	ztbe_window_fold(&w, 0, 0);
	ASSERT_EQ(51, w.bad);
	ztbe_window_fold(&w, 1024, 0);
	ASSERT_EQ(0, w.bad);
}

TEST(dynamic_probe_window)
{
	const u64 ms = 1000000, fi = 500 * ms, t0 = 1000000 * ms;

	/* never answered by an ECHO: probed like active */
	ASSERT_TRUE(ztbe_dynamic_probe(0, t0, fi));
	ASSERT_FALSE(ztbe_dynamic_probe(t0, t0, fi));
	/* a stamp later than the monitor's clock is of right now */
	ASSERT_FALSE(ztbe_dynamic_probe(t0 + ms, t0, fi));
	ASSERT_FALSE(ztbe_dynamic_probe(t0, t0 + fi / 2 - 1, fi));
	ASSERT_TRUE(ztbe_dynamic_probe(t0, t0 + fi / 2, fi));
	ASSERT_TRUE(ztbe_dynamic_probe(t0, t0 + fi, fi));
}

/*
 * The monitor's view of one path under dynamic: a tick every fi/4 probes
 * if ztbe_dynamic_probe() says so, and the path is alive while its last
 * reply (ECHO or PROBE_REPLY) is younger than fi. ECHOs come every 80 ms
 * until traffic pauses (for longer than fi) and resumes; the peer answers
 * every probe within 1 ms. A pause in traffic is no outage: the path must
 * stay alive throughout, whatever the phase of the ticks.
 */
TEST(dynamic_traffic_pause_keeps_path_alive)
{
	const u64 ms = 1000000, fi = 500 * ms, tick = fi / 4, t0 = 1000 * ms;
	u64 phase;

	for (phase = 0; phase < tick; phase += 5 * ms) {
		u64 echo = 0, reply = 0, probe_at = 0, t, next_echo = t0;
		int probes = 0, dead = 0;

		for (t = t0 + phase; t < t0 + 5000 * ms; t += tick) {
			/* what arrived since the last tick */
			for (; next_echo <= t; next_echo += 80 * ms) {
				/* traffic pauses from 1 s to 2.5 s */
				if (next_echo >= t0 + 1000 * ms &&
				    next_echo < t0 + 2500 * ms)
					continue;
				echo = next_echo;
				reply = reply > echo ? reply : echo;
			}
			if (probe_at && probe_at + ms <= t) {
				reply = reply > probe_at + ms ? reply : probe_at + ms;
				probe_at = 0;
			}
			if (ztbe_dynamic_probe(echo, t, fi)) {
				probe_at = t;
				probes++;
			}
			dead += t - reply >= fi;
		}
		ASSERT_EQ(0, dead);
		/* probes during the pause only, not while traffic flows */
		ASSERT_GE(probes, 8);
		ASSERT_LE(probes, 14);
	}
}

/* ---- balance-aware flow table ------------------------------------------ */

#define FT(h, u, i, v, c)	{ .key = (v) ? ztbe_ft_key(h, i, c) : 0, .used = (u) }

/* A flow and a client with the same hash are two entries. */
TEST(ft_find_own_entry)
{
	struct ztbe_flow b[ZTBE_FT_WAYS] = {
		FT(7, 1, 2, true, true),
		FT(7, 1, 3, true, false),
		FT(9, 1, 4, false, false),
		FT(5, 1, 5, true, false),
	};
	int v = -1;
	u64 key;

	ASSERT_EQ(1, ztbe_ft_find(b, 7, false, &v, &key));
	ASSERT_EQ(3, ztbe_ft_id(key));
	ASSERT_FALSE(ztbe_ft_client(key));
	ASSERT_EQ(0, ztbe_ft_find(b, 7, true, &v, &key));
	ASSERT_EQ(2, ztbe_ft_id(key));
	ASSERT_TRUE(ztbe_ft_client(key));
	ASSERT_EQ(7, ztbe_ft_hash(key));
	ASSERT_EQ(3, ztbe_ft_find(b, 5, false, &v, &key));
	/* an invalid entry never matches: its way is the free one */
	ASSERT_EQ(-1, ztbe_ft_find(b, 9, false, &v, &key));
	ASSERT_EQ(2, v);
	ASSERT_EQ(0, key);
}

/* Every hash and link id survives the packing; moving keeps the rest. */
TEST(ft_key_round_trip)
{
	u32 hashes[] = { 0, 1, 0x7fffffffu, 0x80000000u, 0xffffffffu };
	u8 ids[] = { 0, 1, 63, 255 };
	u64 k;
	int i, j, c;

	for (i = 0; i < 5; i++)
		for (j = 0; j < 4; j++)
			for (c = 0; c < 2; c++) {
				k = ztbe_ft_key(hashes[i], ids[j], c);
				ASSERT_TRUE(ztbe_ft_valid(k));
				ASSERT_EQ(hashes[i], ztbe_ft_hash(k));
				ASSERT_EQ(ids[j], ztbe_ft_id(k));
				ASSERT_EQ(c, ztbe_ft_client(k));
				k = ztbe_ft_with_id(k, 42);
				ASSERT_EQ(hashes[i], ztbe_ft_hash(k));
				ASSERT_EQ(42, ztbe_ft_id(k));
				ASSERT_EQ(c, ztbe_ft_client(k));
			}
}

/* A new flow takes a free way before it evicts anyone. */
TEST(ft_new_flow_takes_a_free_way)
{
	struct ztbe_flow b[ZTBE_FT_WAYS] = {
		FT(1, 100, 0, true, false),
		FT(2, 5, 0, true, false),
		FT(3, 100, 0, false, false),
		FT(4, 100, 0, true, false),
	};
	int v = -1;
	u64 key;

	ASSERT_EQ(-1, ztbe_ft_find(b, 8, false, &v, &key));
	ASSERT_EQ(2, v);
	b[2].key = ztbe_ft_key(3, 0, false);
	ASSERT_EQ(-1, ztbe_ft_find(b, 8, false, &v, &key));
	ASSERT_EQ(1, v);	/* then the least recently used */
	ASSERT_EQ(ztbe_ft_key(2, 0, false), key);
}

/* Least recently used across the jiffies wrap: 0xfffffff0 is older than 5. */
TEST(ft_lru_across_jiffies_wrap)
{
	struct ztbe_flow b[ZTBE_FT_WAYS] = {
		FT(1, 0xfffffff8u, 0, true, false),
		FT(2, 5, 0, true, false),
		FT(3, 0xfffffff0u, 0, true, false),
		FT(4, 0x10, 0, true, false),
	};
	int v = -1;
	u64 key;

	ASSERT_EQ(-1, ztbe_ft_find(b, 8, false, &v, &key));
	ASSERT_EQ(2, v);
}

/*
 * ztbe_ft_add() against a way that changed since it was looked at: the
 * flow added by someone else is taken, not overwritten; an unrelated
 * change makes it give up (the caller sends without an entry).
 */
TEST(ft_add_loses_to_an_earlier_claim)
{
	struct ztbe_flow b[ZTBE_FT_WAYS] = { FT(0, 0, 0, false, false) };
	u64 seen, key;
	int v;

	ASSERT_EQ(-1, ztbe_ft_find(b, 7, true, &v, &seen));
	/* another CPU adds the same client on link 3 first */
	key = seen;
	ASSERT_EQ(1, ztbe_ft_add(b, 7, true, 3, v, &key));
	ASSERT_EQ(0, key);	/* the way was free */
	key = seen;
	ASSERT_EQ(0, ztbe_ft_add(b, 7, true, 5, v, &key));
	ASSERT_EQ(3, ztbe_ft_id(key));
	ASSERT_EQ(ztbe_ft_key(7, 3, true), b[v].key);
	/* the way now holds another flow: no entry for us */
	b[v].key = ztbe_ft_key(11, 1, false);
	key = seen;
	ASSERT_EQ(-1, ztbe_ft_add(b, 7, true, 5, v, &key));
	ASSERT_EQ(ztbe_ft_key(11, 1, false), b[v].key);
	/* a flow whose link left moves by a claim on its own way */
	ASSERT_EQ(v, ztbe_ft_find(b, 11, false, &v, &key));
	ASSERT_EQ(1, ztbe_ft_add(b, 11, false, 2, v, &key));
	ASSERT_EQ(1, ztbe_ft_id(key));
	ASSERT_EQ(ztbe_ft_key(11, 2, false), b[v].key);
}

/*
 * The race the claim exists for: threads add the same new flow to an
 * empty bucket at once, each on a link of its own (a broadcast ARP
 * request answered once per link, on two CPUs). Every thread must end up
 * on one link, and the bucket must hold the flow once. With plain stores
 * the threads each sent on their own link and the bucket kept the last.
 */
#define RACE_THREADS	4
#define RACE_ROUNDS	20000

struct ft_race {
	struct ztbe_flow b[ZTBE_FT_WAYS];
	pthread_barrier_t start, done;
	u8 got[RACE_THREADS];
	u32 hash;
};

static struct ft_race ft_race;

static void *ft_racer(void *arg)
{
	u8 me = (u8)(unsigned long)arg;
	u32 round;
	u64 key;
	int w, v;

	for (round = 0; round < RACE_ROUNDS; round++) {
		pthread_barrier_wait(&ft_race.start);
		w = ztbe_ft_find(ft_race.b, ft_race.hash, true, &v, &key);
		if (w >= 0)
			ft_race.got[me] = ztbe_ft_id(key);
		else if (ztbe_ft_add(ft_race.b, ft_race.hash, true, me, v, &key))
			ft_race.got[me] = me;
		else
			ft_race.got[me] = ztbe_ft_id(key);
		pthread_barrier_wait(&ft_race.done);
	}
	return NULL;
}

TEST(ft_concurrent_adds_agree)
{
	pthread_t t[RACE_THREADS];
	u32 round, i, n;
	int w;

	pthread_barrier_init(&ft_race.start, NULL, RACE_THREADS + 1);
	pthread_barrier_init(&ft_race.done, NULL, RACE_THREADS + 1);
	for (i = 0; i < RACE_THREADS; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, ft_racer,
					    (void *)(unsigned long)i));
	for (round = 0; round < RACE_ROUNDS; round++) {
		memset(ft_race.b, 0, sizeof(ft_race.b));
		ft_race.hash = round + 1;
		pthread_barrier_wait(&ft_race.start);
		pthread_barrier_wait(&ft_race.done);
		for (i = 1; i < RACE_THREADS; i++)
			ASSERT_EQ(ft_race.got[0], ft_race.got[i]);
		for (n = 0, w = 0; w < ZTBE_FT_WAYS; w++)
			n += ztbe_ft_valid(ft_race.b[w].key);
		ASSERT_EQ(1, n);
	}
	for (i = 0; i < RACE_THREADS; i++)
		pthread_join(t[i], NULL);
}

TEST(ft_idle_expiry_across_wrap)
{
	u32 expire = 243000;

	ASSERT_FALSE(ztbe_ft_idle(1000, 1000 + expire, expire));
	ASSERT_TRUE(ztbe_ft_idle(1000, 1001 + expire, expire));
	/* used before the wrap, now after it */
	ASSERT_FALSE(ztbe_ft_idle(0xffffff00u, 0x100, expire));
	ASSERT_TRUE(ztbe_ft_idle(0xffffff00u, expire + 0x101, expire));
}

/*
 * A table of 64 buckets fed a million distinct flows, as the packet path
 * does: every lookup looks at four entries, the table never holds more
 * than its size, no (hash, client) is ever in a bucket twice, and the
 * entries left are the most recent flows of each bucket.
 */
TEST(ft_flood_stays_bounded)
{
	enum { BUCKETS = 64, SIZE = BUCKETS * ZTBE_FT_WAYS };
	static struct ztbe_flow t[SIZE];
	u32 now, h, seed = 12345, valid = 0, i;
	int w, v, j;
	u64 key;

	for (now = 1; now <= 1000000; now++) {
		/* xorshift32: every bit of the hash varies */
		seed ^= seed << 13;
		seed ^= seed >> 17;
		seed ^= seed << 5;
		h = seed;
		w = ztbe_ft_find(&t[(h % BUCKETS) * ZTBE_FT_WAYS], h, false, &v,
				 &key);
		if (w < 0) {
			ASSERT_EQ(1, ztbe_ft_add(&t[(h % BUCKETS) * ZTBE_FT_WAYS],
						 h, false, 0, v, &key));
			t[(h % BUCKETS) * ZTBE_FT_WAYS + v].used = now;
		} else {
			t[(h % BUCKETS) * ZTBE_FT_WAYS + w].used = now;
		}
	}
	for (i = 0; i < SIZE; i++)
		valid += ztbe_ft_valid(t[i].key);
	ASSERT_EQ(SIZE, valid);
	for (i = 0; i < BUCKETS; i++)
		for (w = 0; w < ZTBE_FT_WAYS; w++)
			for (j = w + 1; j < ZTBE_FT_WAYS; j++)
				ASSERT_NE(t[i * ZTBE_FT_WAYS + w].key,
					  t[i * ZTBE_FT_WAYS + j].key);
	/* with one new flow a tick, every bucket holds recent entries */
	for (i = 0; i < SIZE; i++)
		ASSERT_LT(now - t[i].used, 4u * SIZE * 4);
}
