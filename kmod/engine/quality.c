// SPDX-License-Identifier: GPL-2.0
/*
 * ztbond engine: link quality arithmetic.
 *
 * Integer only (the module runs it in a work item, where the FPU is not
 * ours): ratios are in ppm, exponentials come from a 17-entry table of
 * 2^(-i/16) with linear interpolation. Everything here runs on the
 * control path; divisions are fine here and absent from the packet path.
 */
#include "engine.h"

/* ---- sliding windows ---------------------------------------------------- */

void ztbe_window_push(struct ztbe_window *w, bool bad)
{
	u64 bit = 1ULL << (w->head & 63);
	u64 *word = &w->bits[w->head / 64];

	if (w->count == ZTBE_WIN) {
		if (*word & bit)
			w->bad--;
	} else {
		w->count++;
	}
	if (bad) {
		*word |= bit;
		w->bad++;
	} else {
		*word &= ~bit;
	}
	w->head = (w->head + 1) % ZTBE_WIN;
}

u32 ztbe_window_ppm(const struct ztbe_window *w)
{
	if (!w->count)
		return 0;
	return (u32)ztbe_div64((u64)w->bad * ZTBE_PPM, w->count);
}

/*
 * Fold good and bad outcomes counted elsewhere (the receive path) into a
 * window. More than the window holds keep their ratio, scaled to a full
 * window; the bad ones are spread evenly among the good ones (Bresenham),
 * so that a later fold that overwrites part of the window removes both in
 * proportion.
 */
void ztbe_window_fold(struct ztbe_window *w, u32 good, u32 bad)
{
	u64 n = (u64)good + bad, acc = 0, i;

	if (n > ZTBE_WIN) {
		bad = (u32)ztbe_div64((u64)bad * ZTBE_WIN + n / 2, n);
		n = ZTBE_WIN;
	}
	for (i = 0; i < n; i++) {
		acc += bad;
		if (acc >= n) {
			acc -= n;
			ztbe_window_push(w, true);
		} else {
			ztbe_window_push(w, false);
		}
	}
}

/* Per DATA frame: see struct ztbe_seqtrack. */
void ztbe_seq_rx(struct ztbe_seqtrack *t, u64 seq)
{
	u64 diff;

	diff = seq > t->top ? seq - t->top : t->top - seq;
	if (!t->synced || diff >= ZTBE_SEQ_RESYNC) {
		if (t->synced)
			t->resyncs++;
		t->synced = true;
		t->top = seq;
		t->seen = ~0ULL;	/* nothing before the first is owed */
		t->rx++;
		return;
	}
	if (seq > t->top) {
		if (diff >= ZTBE_SEQ_REORDER) {
			/* the whole window leaves, and the numbers beyond it */
			t->lost += (u32)(ZTBE_SEQ_REORDER - ztbe_popcount64(t->seen) +
					 diff - ZTBE_SEQ_REORDER);
			t->seen = 1;
		} else {
			/* the diff oldest leave: bits 63 down to 64 - diff */
			t->lost += (u32)(diff - ztbe_popcount64(t->seen >>
							       (64 - diff)));
			t->seen = t->seen << diff | 1;
		}
		t->top = seq;
		t->rx++;
		return;
	}
	/* older than the window: already counted lost; or a duplicate */
	if (diff >= ZTBE_SEQ_REORDER || (t->seen & (1ULL << diff)))
		return;
	t->seen |= 1ULL << diff;
	t->rx++;
}

/*
 * Accept each sequence number once, and nothing older than 64 behind the
 * newest: replays are refused, reordering by a few frames is not.
 */
bool ztbe_replay_ok(struct ztbe_replay *r, u64 seq)
{
	u64 diff;

	if (seq > r->top) {
		diff = seq - r->top;
		r->seen = diff >= 64 ? 0 : r->seen << diff;
		r->seen |= 1;
		r->top = seq;
		return true;
	}
	diff = r->top - seq;
	if (diff >= 64 || (r->seen & (1ULL << diff)))
		return false;
	r->seen |= 1ULL << diff;
	return true;
}

/*
 * Broadcast dedup: true the first time seq is seen, false for a duplicate
 * or for a sequence ZTBE_DEDUP_WINDOW or more behind the newest (its twin
 * is long delivered, or it is too late to tell). Constant time: moving the
 * window clears at most ZTBE_DEDUP_WORDS words.
 */
bool ztbe_dedup_first(struct ztbe_dedup *d, u64 seq)
{
	u64 word = seq >> 6, cur = d->top >> 6, n, i, *w, bit;

	if (seq > d->top) {
		n = word - cur;
		if (n > ZTBE_DEDUP_WORDS)
			n = ZTBE_DEDUP_WORDS;
		for (i = 1; i <= n; i++)
			d->bits[(cur + i) & (ZTBE_DEDUP_WORDS - 1)] = 0;
		d->top = seq;
	} else if (d->top - seq >= ZTBE_DEDUP_WINDOW) {
		return false;
	}
	w = &d->bits[word & (ZTBE_DEDUP_WORDS - 1)];
	bit = 1ULL << (seq & 63);
	if (*w & bit)
		return false;
	*w |= bit;
	return true;
}

/* ---- statistics --------------------------------------------------------- */

static u32 ztbe_isqrt(u64 x)
{
	u64 r = 0, bit = 1ULL << 62;

	while (bit > x)
		bit >>= 2;
	while (bit) {
		if (x >= r + bit) {
			x -= r + bit;
			r = (r >> 1) + bit;
		} else {
			r >>= 1;
		}
		bit >>= 2;
	}
	return (u32)r;
}

/* Samples are clamped to a minute so that the sums cannot overflow. */
#define ZTBE_SAMPLE_CAP	60000000U

void ztbe_rtt_stats(const u32 *samples, int n, u32 *mean, u32 *max,
		    u32 *sd)
{
	u64 sum = 0, var = 0;
	u32 m = 0, avg;
	int i;

	*mean = *max = *sd = 0;
	if (n <= 0)
		return;
	for (i = 0; i < n; i++) {
		u32 s = samples[i] < ZTBE_SAMPLE_CAP ? samples[i] : ZTBE_SAMPLE_CAP;

		sum += s;
		if (s > m)
			m = s;
	}
	avg = (u32)ztbe_div64(sum, n);
	for (i = 0; i < n; i++) {
		u32 s = samples[i] < ZTBE_SAMPLE_CAP ? samples[i] : ZTBE_SAMPLE_CAP;
		u64 d = s > avg ? s - avg : avg - s;

		var += d * d;
	}
	*mean = avg;
	*max = m;
	*sd = ztbe_isqrt(ztbe_div64(var, n));
}

/* ---- scoring ------------------------------------------------------------ */

/* 2^(-i/16) in Q20, i = 0..16 */
static const u32 ztbe_exp2_tab[17] = {
	1048576, 1004120, 961548, 920782, 881744, 844361, 808563, 774282,
	741455, 710020, 679917, 651091, 623487, 597053, 571740, 547500,
	524288,
};

/* log2(e) in Q16 */
#define ZTBE_LOG2E_Q16	94548ULL

/* exp(-x) in ppm, x in Q16 fixed point; error well under 0.1%. */
u32 ztbe_exp_neg_ppm(u64 x_q16)
{
	u64 y, t;
	u32 k, f, i, frac;

	if (x_q16 >= (20ULL << 16))	/* exp(-20) < 1 ppm */
		return 0;
	y = (x_q16 * ZTBE_LOG2E_Q16) >> 16;	/* exp(-x) = 2^-y */
	k = (u32)(y >> 16);
	if (k >= 20)
		return 0;
	f = (u32)(y & 0xffff);
	i = f >> 12;			/* sixteenths */
	frac = f & 0xfff;
	t = ztbe_exp2_tab[i] -
	    (((u64)(ztbe_exp2_tab[i] - ztbe_exp2_tab[i + 1]) * frac) >> 12);
	return (u32)((t * ZTBE_PPM) >> (20 + k));
}

/* ZeroTier's score of one metric: exp(-4 * value / max); no max, no say. */
u32 ztbe_metric_score(u32 value, u32 max)
{
	if (!max)
		return ZTBE_PPM;
	return ztbe_exp_neg_ppm(ztbe_div64((u64)value << 18, max));
}

bool ztbe_over_max(const u32 *m, const struct ztbe_qparams *p)
{
	int i;

	for (i = 0; i < ZTBE_M_COUNT; i++)
		if (p->max[i] && m[i] > p->max[i])
			return true;
	return false;
}

/*
 * Defaults: ZeroTier's code weights (latency, jitter, loss and errors a
 * quarter each) and its latency and jitter maxima (500 ms, 100 ms). Its
 * loss and error maxima (0.1% and 0.01%) would evict a link for one lost
 * probe in a thousand; ztbond uses 10% for both, so that a lossy link
 * keeps carrying a smaller share instead of flapping.
 */
void ztbe_qparams_default(struct ztbe_qparams *p)
{
	int i;

	for (i = 0; i < ZTBE_M_COUNT; i++)
		p->weight[i] = p->max[i] = 0;
	p->weight[ZTBE_M_LAT] = 250000;
	p->weight[ZTBE_M_PDV] = 250000;
	p->weight[ZTBE_M_PLR] = 250000;
	p->weight[ZTBE_M_PER] = 250000;
	p->max[ZTBE_M_LAT] = 500000;
	p->max[ZTBE_M_PDV] = 100000;
	p->max[ZTBE_M_PLR] = 100000;
	p->max[ZTBE_M_PER] = 100000;
}

bool ztbe_qparams_valid(const struct ztbe_qparams *p)
{
	u64 sum = 0;
	int i;

	for (i = 0; i < ZTBE_M_COUNT; i++)
		sum += p->weight[i];
	return sum == ZTBE_PPM;
}

/*
 * Relative quality of n paths from their metrics m[j * ZTBE_M_COUNT + metric]: per metric,
 * each path's score divided by the best path's score, then the weighted
 * sum. The best path in every metric has 1000000.
 */
void ztbe_quality(const u32 *m, int n, const struct ztbe_qparams *p,
		  u32 *quality)
{
	u32 score[ZTBE_MAX_LINKS];
	int i, j;

	if (n > ZTBE_MAX_LINKS)
		n = ZTBE_MAX_LINKS;
	for (j = 0; j < n; j++)
		quality[j] = 0;
	for (i = 0; i < ZTBE_M_COUNT; i++) {
		u32 best = 0;

		if (!p->weight[i])
			continue;
		for (j = 0; j < n; j++) {
			score[j] = ztbe_metric_score(m[j * ZTBE_M_COUNT + i],
						     p->max[i]);
			if (score[j] > best)
				best = score[j];
		}
		for (j = 0; j < n; j++) {
			u64 rel = best ? ztbe_div64((u64)score[j] * ZTBE_PPM, best)
				       : ZTBE_PPM;

			quality[j] += (u32)ztbe_div64(rel * p->weight[i], ZTBE_PPM);
		}
	}
}

/*
 * ZeroTier's refractory period: a new punishment is the base plus twice
 * what is left of the previous one, so repeats within the fading time grow
 * exponentially; capped.
 */
u32 ztbe_punish_next(u32 base, u32 left, u32 cap)
{
	u64 v;

	if (!base)
		return 0;
	v = (u64)base + 2ULL * left;
	return v > cap ? cap : (u32)v;
}

/*
 * monitorStrategy dynamic: does a path need a PROBE at now (ns) when its
 * DATA frames were last answered by an ECHO at echo_ns (0: never)? A path
 * is written off failoverInterval (fi_ns) after its last reply of either
 * kind, so traffic stands in for probes for half of that only: after a
 * lull in traffic the probes, a quarter of failoverInterval apart, are
 * answered before the write-off. Resuming at failoverInterval would send
 * the first probe in the very tick that writes the path off, and a pause
 * in traffic would take the link out of the bond (and punish it). A stamp
 * later than now (the receive path reads its own clock) is of right now.
 */
bool ztbe_dynamic_probe(u64 echo_ns, u64 now, u64 fi_ns)
{
	return !echo_ns || (now > echo_ns && now - echo_ns >= fi_ns / 2);
}

/* Proportional shares (ppm) of n weights; all zero gives equal shares. */
void ztbe_shares(const u32 *weight, int n, u32 *share)
{
	u64 sum = 0;
	int i;

	for (i = 0; i < n; i++)
		sum += weight[i];
	for (i = 0; i < n; i++)
		share[i] = sum ? (u32)ztbe_div64((u64)weight[i] * ZTBE_PPM, sum)
			       : (u32)(ZTBE_PPM / n);
}
