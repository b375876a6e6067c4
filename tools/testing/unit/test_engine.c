// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the ztbond engine: the selection rules of the static
 * policies, exactly as compiled into ztbond.ko.
 */
#include <string.h>
#include "kselftest_harness.h"
#include "engine.h"

#define L(u, p, to) { .usable = (u), .enabled = true, .primary = (p), .failover_to = (to) }

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

TEST(ab_always_fails_back_to_primary)
{
	struct ztbe_link_view v[] = { L(1, 1, -1), L(1, 0, -1) };

	/* running on the spare while the primary is back */
	ASSERT_EQ(0, ztbe_ab_select(v, 2, 1, ZTBE_SELECT_ALWAYS));
	ASSERT_EQ(0, ztbe_ab_select(v, 2, 1, ZTBE_SELECT_BETTER));
}

TEST(ab_failure_keeps_current)
{
	struct ztbe_link_view v[] = { L(1, 1, -1), L(1, 0, -1) };

	ASSERT_EQ(1, ztbe_ab_select(v, 2, 1, ZTBE_SELECT_FAILURE));
	v[1].usable = false;
	ASSERT_EQ(0, ztbe_ab_select(v, 2, 1, ZTBE_SELECT_FAILURE));
}

TEST(ab_keeps_current_primary)
{
	/* two primaries: no flapping back to the first while the second works */
	struct ztbe_link_view v[] = { L(1, 1, -1), L(1, 1, -1) };

	ASSERT_EQ(1, ztbe_ab_select(v, 2, 1, ZTBE_SELECT_ALWAYS));
}

TEST(ab_stale_current_index)
{
	struct ztbe_link_view v[] = { L(1, 0, -1) };

	ASSERT_EQ(0, ztbe_ab_select(v, 1, 5, ZTBE_SELECT_ALWAYS));
}

TEST(none_never_fails_over)
{
	struct ztbe_link_view v[] = { L(1, 0, -1), L(1, 0, -1) };

	ASSERT_EQ(0, ztbe_none_select(v, 2));
	v[0].usable = false;
	ASSERT_EQ(-1, ztbe_none_select(v, 2));
	/* a disabled first link is skipped: "enabled": false removes it */
	v[0].enabled = false;
	ASSERT_EQ(1, ztbe_none_select(v, 2));
}

TEST(usable_set_keeps_order)
{
	struct ztbe_link_view v[] = { L(1, 0, -1), L(0, 0, -1), L(1, 0, -1) };
	u8 out[ZTBE_MAX_LINKS];

	ASSERT_EQ(2, ztbe_usable_set(v, 3, out));
	ASSERT_EQ(0, out[0]);
	ASSERT_EQ(2, out[1]);
}

TEST(buckets_are_mod_n)
{
	u8 b[ZTBE_BUCKETS];
	int n, i;

	for (n = 1; n <= ZTBE_MAX_LINKS; n++) {
		ztbe_fill_buckets(b, ZTBE_BUCKETS, n);
		for (i = 0; i < ZTBE_BUCKETS; i++)
			ASSERT_EQ(i % n, b[i]);
	}
	ztbe_fill_buckets(b, ZTBE_BUCKETS, 0);
	ASSERT_EQ(0, b[17]);
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

TEST(xor_spreads_sixteen_flows)
{
	u8 b[ZTBE_BUCKETS];
	int per_link[4] = { 0 };
	int n, i;

	for (n = 2; n <= 4; n++) {
		memset(per_link, 0, sizeof(per_link));
		ztbe_fill_buckets(b, ZTBE_BUCKETS, n);
		for (i = 0; i < 16; i++)
			per_link[b[ztbe_bucket(ztbe_xor_flow_id(40000 + i, 5201, 17))]]++;
		for (i = 0; i < n; i++)
			ASSERT_GE(per_link[i], 16 / n - 1);
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
