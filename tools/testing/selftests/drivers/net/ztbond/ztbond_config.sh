#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ztbondctl config apply / dump against the kernel: a configuration in
# ZeroTier's local.conf schema reaches the bond, its dump re-applies as a
# no-op, a refused configuration leaves the bond as it was, applying on a
# bond that carries traffic loses nothing, and an unprivileged user can
# read but not change anything (with a message naming CAP_NET_ADMIN).

ALL_TESTS="
	apply_dump_reapply
	apply_standard_block
	apply_quality
	quality_defaults_per_policy
	apply_dedup
	bad_apply_changes_nothing
	kernel_refusal_atomic
	apply_under_ping
	permissions
"

source "$(dirname "$(readlink -f "$0")")"/lib.sh

TMPD=""

# cfg NAME: write stdin to $TMPD/NAME.json (readable by anyone).
cfg()
{
	cat > "$TMPD/$1.json"
	chmod 0644 "$TMPD/$1.json"
}

dump()
{
	ztb_ctl "$NS_A" config dump zb0
}

# The bond and its links with their settings: state, counters left out.
show_cfg()
{
	ztb_ctl "$NS_A" --json bond show zb0 | python3 -c '
import json, sys
b = json.load(sys.stdin)
skip = ("tx_", "rx_", "carrier", "active", "state", "failures",
        # what the quality engine measures changes by itself
        "ctl_", "rtt_", "ltm_", "pdv_", "loss_", "error_", "availability",
        "probes", "quality", "punished", "eligible", "peer", "paths",
        "flows", "flow_moves", "clients", "allocation", "capacity_",
        "dedup_dropped")
def keep(d):
    return {k: v for k, v in d.items() if not k.startswith(skip)}
b["links"] = [keep(l) for l in b["links"]]
print(json.dumps(keep(b), sort_keys=True))'
}

setup_files()
{
	cfg fast <<-'EOF'
	{
	  "settings": {
	    "defaultBondingPolicy": "fast",
	    "policies": {
	      "fast": {
	        "basePolicy": "active-backup",
	        "failoverInterval": 500,
	        "upDelay": 100,
	        "linkSelectMethod": "failure",
	        "links": {
	          "a1": { "mode": "primary", "failoverTo": "a2", "ipvPref": 46 },
	          "a2": { "mode": "spare", "downDelay": 200, "speed": 100 }
	        }
	      }
	    }
	  }
	}
	EOF
	cfg xor <<-'EOF'
	{
	  "settings": {
	    "primaryPort": 9993,
	    "defaultBondingPolicy": "balance-xor",
	    "balance-xor": {
	      "links": {
	        "a1": { "alloc": 0.75 },
	        "a2": { "alloc": 0.25, "failoverInterval": 1000 }
	      }
	    },
	    "peerSpecificBonds": { "02:f6:20:3a:2d:b3": "balance-rr" }
	  }
	}
	EOF
	cfg rr <<-'EOF'
	{ "settings": { "defaultBondingPolicy": "balance-rr",
	                "balance-rr": { "packetsPerLink": 1 } } }
	EOF
	cfg ab2 <<-'EOF'
	{
	  "settings": {
	    "defaultBondingPolicy": "ab2",
	    "policies": {
	      "ab2": { "basePolicy": "active-backup",
	               "links": { "a2": { "mode": "primary" }, "a1": {} } }
	    }
	  }
	}
	EOF
	cfg only_a1 <<-'EOF'
	{ "settings": { "defaultBondingPolicy": "active-backup",
	                "active-backup": { "links": { "a1": { "mode": "primary" } } } } }
	EOF
	cfg typo <<-'EOF'
	{ "settings": { "defaultBondingPolicy": "p", "policies": { "p": {
	    "basePolicy": "balance-rr", "packetsPerLink": 3,
	    "links": { "a1": { "mode": "primery" } } } } } }
	EOF
	cfg stranger <<-'EOF'
	{ "settings": { "defaultBondingPolicy": "p", "policies": { "p": {
	    "basePolicy": "broadcast",
	    "links": { "a1": {}, "eth9": {} } } } } }
	EOF
	cfg aware <<-'EOF'
	{ "settings": { "defaultBondingPolicy": "balance-aware",
	    "balance-aware": { "flowTableSize": 1000 } } }
	EOF
	cfg nodedup <<-'EOF'
	{ "settings": { "defaultBondingPolicy": "broadcast",
	    "broadcast": { "dedup": false } } }
	EOF
	cfg bcast <<-'EOF'
	{ "settings": { "defaultBondingPolicy": "broadcast" } }
	EOF
	printf '{ "settings": { "defaultBondingPolicy": "broadcast" }\n' > "$TMPD/syntax.json"
	chmod 0644 "$TMPD/syntax.json"
}

apply_dump_reapply()
{
	local out d1 d2 s1 s2

	RET=0
	out=$(ztb_ctl "$NS_A" config apply zb0 "$TMPD/fast.json" 2>&1)
	check_err $? "apply refused: $out"
	grep -q "policy fast (active-backup) applied" <<< "$out"
	check_err $? "no summary: $out"
	out=$(ztb_ctl "$NS_A" --json bond show zb0)
	for k in '"policy": *"active-backup"' '"policyName": *"fast"' \
		 '"failoverInterval": *500' '"upDelay": *100' \
		 '"linkSelectMethod": *"failure"' '"failoverTo": *"a2"' \
		 '"ipvPref": *46' '"downDelay": *200' '"speed": *100'; do
		grep -q "$k" <<< "$out"
		check_err $? "bond lacks $k after apply: $out"
	done
	d1=$(dump)
	check_err $? "dump failed"
	python3 -c 'import json, sys; json.load(sys.stdin)' <<< "$d1"
	check_err $? "dump is not JSON: $d1"
	grep -q '"basePolicy": *"active-backup"' <<< "$d1" &&
		grep -q '"fast"' <<< "$d1"
	check_err $? "dump is not the custom policy: $d1"
	echo "$d1" > "$TMPD/dump1.json"
	out=$("$ZTBONDCTL" config check "$TMPD/dump1.json" 2>&1)
	check_err $? "the dump is not a valid configuration: $out"

	s1=$(show_cfg)
	out=$(ztb_ctl "$NS_A" config apply zb0 "$TMPD/dump1.json" 2>&1)
	check_err $? "re-applying the dump refused: $out"
	grep -q "no change" <<< "$out"
	check_err $? "re-applying the dump changed something: $out"
	out=$(ztb_ctl "$NS_A" config apply zb0 "$TMPD/fast.json" 2>&1)
	grep -q "no change" <<< "$out"
	check_err $? "re-applying the file changed something: $out"
	d2=$(dump)
	[[ $d1 == "$d2" ]]
	check_err $? "dump differs after re-apply: $d1 // $d2"
	s2=$(show_cfg)
	[[ $s1 == "$s2" ]]
	check_err $? "bond differs after re-apply: $s1 // $s2"

	# drift, then the file puts it back
	ztb_ctl "$NS_A" link set zb0 a1 mode spare upDelay 7
	ztb_ctl "$NS_A" bond set zb0 packetsPerLink 9
	out=$(ztb_ctl "$NS_A" config apply zb0 "$TMPD/dump1.json" 2>&1)
	check_err $? "apply after drift refused: $out"
	[[ $(dump) == "$d1" ]]
	check_err $? "apply did not restore the configuration: $(dump)"

	# a policy set by hand is a standard one: the custom name goes
	ztb_ctl "$NS_A" bond set zb0 policy balance-rr
	out=$(ztb_ctl "$NS_A" --json bond show zb0)
	! grep -q '"policyName"' <<< "$out"
	check_err $? "custom policy name kept after bond set policy: $out"
	dump | grep -q '"balance-rr": *{'
	check_err $? "not dumped as balance-rr's block: $(dump)"
	log_test "config apply, dump, re-apply of the dump is a no-op"
}

apply_standard_block()
{
	local out d1

	RET=0
	out=$(ztb_ctl "$NS_A" config apply zb0 "$TMPD/xor.json" 2>&1)
	check_err $? "apply refused: $out"
	grep -q "note: settings.primaryPort: not a bonding setting, ignored" <<< "$out"
	check_err $? "no note for a non-bonding key: $out"
	out=$(ztb_ctl "$NS_A" --json bond show zb0)
	[[ $(jq -c '[.peers[] | {peer, policy}]' <<< "$out") == '[{"peer":"02:f6:20:3a:2d:b3","policy":"balance-rr"}]' ]]
	check_err $? "peerSpecificBonds not applied: $(jq -c .peers <<< "$out")"
	grep -q '"policy": *"balance-xor"' <<< "$out" &&
		! grep -q '"policyName"' <<< "$out" &&
		grep -q '"alloc": *0.75' <<< "$out" &&
		grep -q '"failoverInterval": *1000' <<< "$out"
	check_err $? "bond not as configured: $out"
	# alloc and failoverTo from the previous policy are gone
	! grep -q '"failoverTo": *"a2"' <<< "$out" && ! grep -q '"speed": *100' <<< "$out"
	check_err $? "settings of the previous configuration remain: $out"
	d1=$(dump)
	grep -q '"balance-xor": *{' <<< "$d1"
	check_err $? "standard policy not dumped as its block: $d1"
	echo "$d1" > "$TMPD/dump2.json"
	out=$(ztb_ctl "$NS_A" config apply zb0 "$TMPD/dump2.json" 2>&1)
	grep -q "no change" <<< "$out"
	check_err $? "re-applying the dump changed something: $out"
	[[ $(dump) == "$d1" ]]
	check_err $? "dump differs after re-apply"

	# a policy that lists links uses only those: the others are disabled
	out=$(ztb_ctl "$NS_A" config apply zb0 "$TMPD/only_a1.json" 2>&1)
	check_err $? "apply refused: $out"
	grep -q "a2 is a link of zb0 but not in" <<< "$out"
	check_err $? "no note on the unlisted link: $out"
	ztb_ctl "$NS_A" --json bond show zb0 | python3 -c '
import json, sys
l = {x["name"]: x for x in json.load(sys.stdin)["links"]}
assert l["a2"]["enabled"] is False and l["a1"]["enabled"] is True' 2>/dev/null
	check_err $? "unlisted link a2 not disabled"
	log_test "config apply of a standard policy's block; notes for what is not applied"
}

# save_state, then unchanged DESC: the dump and the bond are as saved.
save_state()
{
	SAVED_DUMP=$(dump)
	SAVED_CFG=$(show_cfg)
}

unchanged()
{
	[[ $(dump) == "$SAVED_DUMP" ]]
	check_err $? "$1: dump changed: $(dump)"
	[[ $(show_cfg) == "$SAVED_CFG" ]]
	check_err $? "$1: bond changed: $(show_cfg)"
}

# apply_refused FAULT FILE PATTERN...: "config apply zb0 FILE" (with
# ZTBOND_FAULT_WRITE=FAULT unless empty) fails, says every PATTERN, and
# leaves the bond as saved.
apply_refused()
{
	local fault=$1 file=$2 out p; shift 2

	out=$(env ${fault:+ZTBOND_FAULT_WRITE=$fault} ip netns exec "$NS_A" \
		"$ZTBONDCTL" config apply zb0 "$file" 2>&1)
	check_fail $? "$file: applied"
	for p in "$@"; do
		grep -qF -- "$p" <<< "$out"
		check_err $? "$file: message lacks '$p': $out"
	done
	unchanged "$file"
}

# qual: the bond's quality parameters as "name=value ..." in bond show's
# units, sorted
qual()
{
	ztb_ctl "$NS_A" --json bond show zb0 |
		jq -r '.quality | (.weights | to_entries[] | "\(.key)=\(.value)"),
		       (del(.weights) | to_entries[] | "\(.key)=\(.value)")' |
		sort | tr '\n' ' '
}

# reapply_noop WHAT: the dump, applied again, changes nothing
reapply_noop()
{
	dump | ztb_ctl "$NS_A" config apply zb0 - > "$TMPD/out" 2>&1
	grep -q "no change" "$TMPD/out"
	check_err $? "$1: $(cat "$TMPD/out"); dump: $(dump)"
}

# want_weights WANT WHAT: the weights in force are WANT ("lat ltm pdv plr
# per avl default")
want_weights()
{
	local w

	w=$(weights)
	[[ $w == "$1" ]]
	check_err $? "$2: weights $w, expected $1"
}

# linkQuality (ZeroTier's code) and quality (its documentation) reach the
# kernel's quality engine; a dump says them back and re-applies as a
# no-op; a policy without them returns to the defaults.
apply_quality()
{
	local q out def

	RET=0
	ztb_ctl "$NS_A" config apply zb0 "$TMPD/rr.json" >/dev/null 2>&1
	def=$(qual)
	[[ $def == "availability_min=0 avl=0 error_max=0.1 lat=0.25 loss_max=0.1 ltm=0 ltm_max_ms=0 pdv=0.4 pdv_max_ms=100 per=0.1 plr=0.25 rtt_max_ms=500 weights_default=true " ]]
	check_err $? "defaults: $def"
	cfg lq <<-'EOF'
	{ "settings": { "defaultBondingPolicy": "balance-aware", "balance-aware": {
	    "linkQuality": { "lat_max": 80, "plr_max": 0.05, "lat_weight": 0.1,
	                     "plr_weight": 0.4 } } } }
	EOF
	out=$(ztb_ctl "$NS_A" config apply zb0 "$TMPD/lq.json" 2>&1)
	check_err $? "linkQuality: $out"
	q=$(qual)
	[[ $q == "availability_min=0 avl=0 error_max=0.1 lat=0.1 loss_max=0.05 ltm=0 ltm_max_ms=0 pdv=0.25 pdv_max_ms=100 per=0.25 plr=0.4 rtt_max_ms=80 weights_default=false " ]]
	check_err $? "linkQuality applied as: $q"
	reapply_noop "re-applied dump with linkQuality changed something"
	cfg q6 <<-'EOF'
	{ "settings": { "defaultBondingPolicy": "balance-aware", "balance-aware": {
	    "quality": { "lat": 0.3, "ltm": 0.1, "pdv": 0.1, "plr": 0.3, "per": 0.1,
	                 "avl": 0.1 } } } }
	EOF
	out=$(ztb_ctl "$NS_A" config apply zb0 "$TMPD/q6.json" 2>&1)
	check_err $? "quality: $out"
	q=$(qual)
	[[ $q == "availability_min=0 avl=0.1 error_max=0.1 lat=0.3 loss_max=0.1 ltm=0.1 ltm_max_ms=0 pdv=0.1 pdv_max_ms=100 per=0.1 plr=0.3 rtt_max_ms=500 weights_default=false " ]]
	check_err $? "quality applied as: $q"
	reapply_noop "re-applied dump with quality changed something"
	ztb_ctl "$NS_A" config apply zb0 "$TMPD/rr.json" >/dev/null 2>&1
	[[ $(qual) == "$def" ]]
	check_err $? "a policy without quality keys did not restore the defaults: $(qual)"
	log_test "quality and linkQuality weights and maxima reach the kernel; dumps re-apply as no-ops"
}

# weights: the weights in force, "lat ltm pdv plr per avl default"
weights()
{
	ztb_ctl "$NS_A" --json bond show zb0 |
		jq -r '.quality | [.weights.lat, .weights.ltm, .weights.pdv,
		       .weights.plr, .weights.per, .weights.avl,
		       .weights_default] | map(tostring) | join(" ")'
}

# quality_nl ATTRS_PY: BOND_SET zb0 with a QUALITY nest of the attributes
# given as Python (nla() calls: ZTBOND_Q_A_W_LAT 1, ZTBOND_Q_A_W_DEFAULT
# 13); prints the errno the kernel answered.
quality_nl()
{
	ip netns exec "$NS_A" python3 - "$ZTB_LIB_DIR" <<-EOF
	import sys, types
	sys.path.insert(0, sys.argv[1])
	from nlfuzz import Fuzzer, nla, CMD_BOND_SET, NLA_F_NESTED
	import struct
	u8 = lambda v: struct.pack("=B", v)
	u32 = lambda v: struct.pack("=I", v)
	f = Fuzzer(types.SimpleNamespace(seed=1, pool=0, bond="zb0", links="",
	                                 extra="", foreign=""))
	# ZTBOND_A_IFNAME 3, ZTBOND_A_QUALITY 31 (uapi/linux/ztbond.h)
	print(f.request(CMD_BOND_SET, [nla(3, b"zb0\0"),
	                               nla(31 | NLA_F_NESTED, $1)]))
	EOF
}

# Each policy has its own default weights, which follow the policy while
# no weights were given; given weights stay across a policy change until a
# configuration without them asks for the defaults again; linkQuality
# with maxima only keeps the defaults; W_DEFAULT with weights is refused.
quality_defaults_per_policy()
{
	local out err

	RET=0
	ztb_ctl "$NS_A" config apply zb0 "$TMPD/rr.json" >/dev/null 2>&1
	want_weights "0.25 0 0.4 0.25 0.1 0 true" "balance-rr's defaults"
	ztb_ctl "$NS_A" bond set zb0 policy active-backup
	want_weights "0.3 0 0.1 0.4 0.2 0 true" "after bond set policy active-backup"
	ztb_ctl "$NS_A" bond set zb0 policy balance-aware
	want_weights "0.25 0 0.25 0.25 0.25 0 true" "after bond set policy balance-aware"

	cfg lqmax <<-'EOF'
	{ "settings": { "defaultBondingPolicy": "active-backup", "active-backup": {
	    "linkQuality": { "lat_max": 80 } } } }
	EOF
	out=$(ztb_ctl "$NS_A" config apply zb0 "$TMPD/lqmax.json" 2>&1)
	check_err $? "linkQuality with lat_max only: $out"
	want_weights "0.3 0 0.1 0.4 0.2 0 true" "linkQuality with lat_max only"
	[[ $(qual) == *"rtt_max_ms=80 "* ]]
	check_err $? "linkQuality lat_max only applied as: $(qual)"
	dump | grep -q lat_weight
	check_fail $? "dump writes weights that were the defaults: $(dump)"
	reapply_noop "re-applied dump changed something"

	cfg q6ab <<-'EOF'
	{ "settings": { "defaultBondingPolicy": "active-backup", "active-backup": {
	    "quality": { "lat": 0.5, "plr": 0.5 } } } }
	EOF
	ztb_ctl "$NS_A" config apply zb0 "$TMPD/q6ab.json" >/dev/null 2>&1
	ztb_ctl "$NS_A" bond set zb0 policy balance-rr
	want_weights "0.5 0 0 0.5 0 0 false" "given weights after a policy change"

	err=$(quality_nl 'nla(13, u8(1)) + nla(1, u32(1000000))')
	[[ $err == 22 ]]
	check_err $? "W_DEFAULT with a weight: errno $err, not EINVAL"
	want_weights "0.5 0 0 0.5 0 0 false" "after the refused request"
	err=$(quality_nl 'nla(13, u8(1))')
	[[ $err == 0 ]]
	check_err $? "W_DEFAULT alone: errno $err"
	want_weights "0.25 0 0.4 0.25 0.1 0 true" "W_DEFAULT on balance-rr"

	ztb_ctl "$NS_A" config apply zb0 "$TMPD/rr.json" >/dev/null 2>&1
	log_test "quality: default weights per policy follow the policy; given weights stay"
}

bad_apply_changes_nothing()
{
	local out

	RET=0
	ztb_ctl "$NS_A" config apply zb0 "$TMPD/fast.json" >/dev/null 2>&1
	save_state
	apply_refused "" "$TMPD/typo.json" "nothing was applied" \
		'settings.policies.p.links.a1.mode: "primery" is not one of'
	apply_refused "" "$TMPD/stranger.json" "nothing was changed" \
		'eth9 is not a link of zb0 (its links: a1, a2)'
	apply_refused "" "$TMPD/aware.json" "nothing was changed" \
		'flowTableSize must be a power of two'
	apply_refused "" "$TMPD/syntax.json" "nothing was applied" \
		'syntax.json:2:1: unexpected end of the file'
	out=$(ztb_ctl "$NS_A" config apply nosuch "$TMPD/fast.json" 2>&1)
	check_fail $? "apply to a missing bond succeeded"
	grep -qi "no such device" <<< "$out"
	check_err $? "missing bond: $out"
	log_test "a refused configuration leaves the bond's dump identical"
}

# The kernel checks the whole configuration before it changes anything:
# with a value only the kernel refuses (ztbondctl's fault injection puts an
# out-of-range value into part N of the one request: 1 the bond, 2... the
# links), nothing is applied and the dump is as before. A monitor sees one
# config-applied event per accepted apply and none for a refused one.
kernel_refusal_atomic()
{
	local events mon n

	RET=0
	ztb_ctl "$NS_A" config apply zb0 "$TMPD/xor.json" >/dev/null 2>&1
	save_state
	events=$(mktemp)
	ip netns exec "$NS_A" "$ZTBONDCTL" monitor zb0 > "$events" 2>&1 &
	mon=$!
	sleep 1
	apply_refused 3 "$TMPD/fast.json" "ipvPref must be" \
		"the kernel refused the configuration; nothing was changed"
	apply_refused 1 "$TMPD/fast.json" "packetsPerLink must be" \
		"nothing was changed"
	ztb_ctl "$NS_A" config apply zb0 "$TMPD/fast.json" >/dev/null 2>&1
	check_err $? "fast.json not applied without the fault"
	slowwait 5 grep -q config-applied "$events"
	kill "$mon" 2>/dev/null
	wait "$mon" 2>/dev/null
	n=$(grep -c config-applied "$events")
	[[ $n -eq 1 ]]
	check_err $? "$n config-applied events for one accepted apply: $(cat "$events")"
	grep -q 'link-change\|bond-change' "$events"
	check_fail $? "an atomic apply was announced piecewise: $(cat "$events")"
	rm -f "$events"
	log_test "the kernel refuses a configuration whole (nothing changes); an accepted one is one config-applied event"
}

apply_under_ping()
{
	local f i out pid n=300

	RET=0
	ztb_ctl "$NS_B" config apply zb0 - > /dev/null 2>&1 <<-'EOF'
	{ "settings": { "defaultBondingPolicy": "balance-xor" } }
	EOF
	ztb_ctl "$NS_A" config apply zb0 "$TMPD/fast.json" >/dev/null 2>&1
	ztb_wait_ping "$NS_A" 10.0.0.2 20
	ip netns exec "$NS_A" ping -n -i 0.02 -c "$n" -W 2 10.0.0.2 \
		> "$TMPD/ping.out" 2>&1 &
	pid=$!
	sleep 1
	for i in 1 2; do
		for f in xor rr ab2 fast; do
			out=$(ztb_ctl "$NS_A" config apply zb0 "$TMPD/$f.json" 2>&1)
			check_err $? "apply $f under traffic: $out"
			sleep 0.3
		done
	done
	wait "$pid"
	grep -q " $n received, 0% packet loss" "$TMPD/ping.out"
	check_err $? "ping lost packets: $(grep -E 'transmitted|rtt' "$TMPD/ping.out")"
	log_test "config apply while a ping crosses the bond loses no ping"
}

permissions()
{
	local before out c rc
	local -a nobody=(ip netns exec "$NS_A" setpriv --reuid=65534 --regid=65534
			 --clear-groups --inh-caps=-all "$ZTBONDCTL")

	RET=0
	if ! command -v setpriv >/dev/null; then
		log_test_skip "unprivileged config" "setpriv not installed"
		return
	fi
	ip -n "$NS_A" link add a9 type veth peer name a9p
	ztb_ctl "$NS_A" config apply zb0 "$TMPD/fast.json" >/dev/null 2>&1
	before=$(dump)
	while read -r c; do
		# shellcheck disable=SC2086 # word splitting wanted
		out=$("${nobody[@]}" $c 2>&1)
		rc=$?
		((rc == 1))
		check_err $? "unprivileged '$c' exit $rc: $out"
		grep -q "CAP_NET_ADMIN" <<< "$out"
		check_err $? "unprivileged '$c' does not name CAP_NET_ADMIN: $out"
	done <<-EOF
	bond add zbx
	bond del zb0
	bond set zb0 policy broadcast
	link add zb0 a9
	link del zb0 a1
	link set zb0 a1 mode spare
	config apply zb0 $TMPD/xor.json
	EOF
	[[ $(dump) == "$before" ]]
	check_err $? "an unprivileged user changed the bond"
	for c in "bond show" "bond show zb0 --json" "config dump zb0" \
		 "config check $TMPD/xor.json"; do
		# shellcheck disable=SC2086
		out=$("${nobody[@]}" $c 2>&1)
		check_err $? "unprivileged '$c' failed: $out"
	done
	out=$("${nobody[@]}" config dump zb0 2>/dev/null)
	[[ $out == "$before" ]]
	check_err $? "unprivileged dump differs: $out"
	ip -n "$NS_A" link del a9 2>/dev/null
	log_test "unprivileged: changes fail naming CAP_NET_ADMIN, reads work"
}

# broadcast's "dedup" reaches the kernel, is dumped, and its default is
# on. Leaves the bond as apply_quality does (rr.json) for the tests after.
apply_dedup()
{
	local out d1

	RET=0
	out=$(ztb_ctl "$NS_A" config apply zb0 "$TMPD/nodedup.json" 2>&1)
	check_err $? "apply refused: $out"
	! grep -q "dedup.*not applied" <<< "$out"
	check_err $? "dedup reported as not applied: $out"
	[[ $(ztb_bond_field "$NS_A" dedup) == false ]]
	check_err $? "dedup false not applied"
	d1=$(dump)
	grep -q '"dedup": *false' <<< "$d1"
	check_err $? "dedup false not dumped: $d1"
	echo "$d1" > "$TMPD/dump_dedup.json"
	out=$(ztb_ctl "$NS_A" config apply zb0 "$TMPD/dump_dedup.json" 2>&1)
	grep -q "no change" <<< "$out"
	check_err $? "re-applying the dump changed something: $out"
	out=$(ztb_ctl "$NS_A" config apply zb0 "$TMPD/bcast.json" 2>&1)
	check_err $? "apply refused: $out"
	[[ $(ztb_bond_field "$NS_A" dedup) == true ]]
	check_err $? "dedup not back to its default (true)"
	ztb_ctl "$NS_A" config apply zb0 "$TMPD/rr.json" >/dev/null 2>&1
	log_test "config apply and dump of broadcast's dedup (default true)"
}

cleanup()
{
	ztb_cleanup
	[[ -n $TMPD ]] && rm -rf "$TMPD"
}

ztb_require_root
ztb_require_module
ztb_require_ctl
ztb_require_cmd python3
trap cleanup EXIT
TMPD=$(mktemp -d) || ztb_skip "mktemp"
chmod 0755 "$TMPD"
setup_files
ztb_topo_create active-backup 2 || ztb_skip "set-up failed"
tests_run
ztb_exit
