# SPDX-License-Identifier: GPL-2.0
#
# ztbond top-level Makefile.
#   make                 build kmod/ztbond.ko and ctl/ztbondctl
#   make KDIR=...        build the module against another kernel build dir
#   make check           userspace unit tests + selftests in QEMU on 6.1 and 6.12
#   make stress          the stress-capable selftests (churn) with their long
#                        cycle counts (ZTBOND_STRESS=1), both kernels
#   make check-debug [T=name]
#                        the selftests in QEMU on a debug kernel (KASAN, lockdep,
#                        kmemleak, DEBUG_NET, ...) built from linux-source-6.12
#                        and cached; hours under TCG, not part of CI
#   make ztsim           tools/testing/ztsim (zerotier-one stand-in for the tests)
#   make demo            boot a VM and show a bond carrying traffic and failing over
#   make bench [QUICK=1] [BENCH=failover,...]
#                        benchmarks in a VM (failover, control plane, scaling,
#                        transmit cost, aggregation), see Documentation/benchmarks.md
#   make install         module under /lib/modules/$KVER/updates (+depmod), tool
#   make W=1 / C=1       passed through to kbuild (warnings / sparse)

ZTBOND_ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))

# Default kernel: the running one if it has a build dir, else the newest
# installed Debian headers.
KVER_RUNNING := $(shell uname -r)
KDIR ?= $(shell if [ -d /lib/modules/$(KVER_RUNNING)/build ]; then \
		echo /lib/modules/$(KVER_RUNNING)/build; \
	else \
		ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -1; \
	fi)
KVER ?= $(shell sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h 2>/dev/null)

PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: all kmod ctl ztsim clean install install-kmod install-ctl check check-full check-unit check-debug stress demo deps bench

all: kmod ctl

kmod:
	$(MAKE) -C $(KDIR) M=$(ZTBOND_ROOT)/kmod ZTBOND_ROOT=$(ZTBOND_ROOT) modules

ctl:
	$(MAKE) -C $(ZTBOND_ROOT)/ctl

# The zerotier-one stand-in the tests use (test code, not installed).
ztsim:
	$(MAKE) -C $(ZTBOND_ROOT)/tools/testing/ztsim

check-unit:
	$(MAKE) -C $(ZTBOND_ROOT)/tools/testing/unit run

# The whole suite: deps, builds for both kernels, unit tests, VM selftests.
# T=name runs only the selftest(s) whose name matches.
check:
	$(ZTBOND_ROOT)/tools/testing/run-check.sh $(if $(T),--test $(T))

# The same with every selftest on both kernels: make check runs the
# time-heavy engine scripts (quality, measure, aware, hub, policies,
# reorder) on 6.12 only to fit CI's 90 minutes; see Documentation/testing.md.
check-full:
	$(ZTBOND_ROOT)/tools/testing/run-check.sh --all-kernels $(if $(T),--test $(T))

# The selftests on the debug kernel of tools/testing/vm/debug-kernel.sh
# (tools/testing/vm/debug.config): built the first time (an hour or more,
# at idle priority), cached in $ZTBOND_CACHE/debug-kernel/<hash> after that.
# Any KASAN, lockdep, kmemleak, WARN or BUG report fails. Too slow for CI;
# see Documentation/testing.md. T=name narrows the selftests.
check-debug:
	$(ZTBOND_ROOT)/tools/testing/run-check.sh --debug-kernel --vm-only $(if $(T),--test $(T))

# Long runs of the stress-capable selftests: 1000 link cycles, 100 tap and
# 100 module cycles, 10 000 000 flows, 100 000 fake peers and 1 000 000
# fuzzed netlink messages (see
# Documentation/testing.md). T=name narrows them,
# KERNEL=6.1|6.12 picks one kernel.
STRESS_TESTS := churn ctl_grammar_walk memory nlfuzz
stress:
	ZTBOND_STRESS=1 $(ZTBOND_ROOT)/tools/testing/run-check.sh --skip-deps \
		$(foreach t,$(or $(T),$(STRESS_TESTS)),--test $(t)) \
		$(if $(KERNEL),--kernel $(KERNEL))

demo:
	$(ZTBOND_ROOT)/tools/testing/vm/demo.sh

# Benchmarks in one VM run (reports numbers, never fails on speed).
# QUICK=1: short versions; BENCH=failover,control,scaling,tx_cost,aggregation:
# some only.
bench:
	QUICK=$(QUICK) BENCH=$(BENCH) $(ZTBOND_ROOT)/tools/testing/bench/run.sh

deps:
	$(ZTBOND_ROOT)/tools/testing/install-deps.sh

install: install-kmod install-ctl

install-kmod: kmod
	$(MAKE) -C $(KDIR) M=$(ZTBOND_ROOT)/kmod ZTBOND_ROOT=$(ZTBOND_ROOT) \
		INSTALL_MOD_DIR=updates modules_install
	depmod -a $(KVER)

install-ctl: ctl
	$(MAKE) -C $(ZTBOND_ROOT)/ctl install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)

clean:
	-$(MAKE) -C $(KDIR) M=$(ZTBOND_ROOT)/kmod ZTBOND_ROOT=$(ZTBOND_ROOT) clean
	-$(MAKE) -C $(ZTBOND_ROOT)/ctl clean
	-$(MAKE) -C $(ZTBOND_ROOT)/tools/testing/unit clean
	-$(MAKE) -C $(ZTBOND_ROOT)/tools/testing/ztsim clean
	rm -rf $(ZTBOND_ROOT)/build
