# netstack-kmon — top-level entry points.  Target names are a contract
# (docs/cli-contract.md): deps all module tool test demo install
# dkms-install dkms-uninstall clean.
#
#   make demo      install what is missing, build, boot the VM, show the tool
#   make test      install what is missing, build, run unit + kernel-build + VM tests
#   make bench     packets/s per tracing configuration in the VM: docs/performance.md
#
# `make`/`make module`/`make tool` build nothing until the packages they need
# are there (the preflight, scripts/install-deps.sh --check): if some are
# missing they are named with the command that installs them (sudo make deps).
# KDIR= alone: KVER is the tree's own release (scripts/kdir.sh --kver-of).
#
# Variables (all overridable): KVER (default: newest installed kernel with
# both /boot/vmlinuz-<ver> and /lib/modules/<ver>/build, never `uname -r`),
# KDIR, KERNEL_IMAGE, BUILD_DIR, CMAKE_BUILD_TYPE, JOBS, PREFIX, DESTDIR,
# CTEST_ARGS, SCENARIOS (for `make vm`), BENCH_ARGS (for `make bench`).

SHELL := /bin/bash
.DEFAULT_GOAL := all

VERSION := $(shell cat $(CURDIR)/VERSION)
DEPS := $(CURDIR)/scripts/install-deps.sh

KDIR_SH := $(CURDIR)/scripts/kdir.sh
_kernel_by_hand := $(filter-out undefined,$(origin KDIR) $(origin KVER))
# KDIR given without KVER: the version is the tree's own (scripts/kdir.sh
# --kver-of: /lib/modules/<ver>/build -> <ver>, else UTS_RELEASE from
# include/generated/utsrelease.h; never include/config/kernel.release, which
# says "6.1.192" on Debian).  A tree that tells nothing is refused.  Both
# given: check-kernel refuses them if they disagree.
# Lazy and evaluated once: after `make deps` installed a kernel, a sub-make
# finds it; targets that need no kernel never ask.
ifeq ($(origin KVER),undefined)
ifneq ($(origin KDIR),undefined)
KVER = $(eval KVER := $(shell $(KDIR_SH) --kver-of '$(KDIR)'))$(or $(KVER),$(error \
	KDIR=$(KDIR) does not say which kernel it is for: set KVER= as well))
endif
endif
KVER ?= $(eval KVER := $(shell $(KDIR_SH) 2>/dev/null))$(KVER)
KDIR ?= /lib/modules/$(KVER)/build
KERNEL_IMAGE ?= /boot/vmlinuz-$(KVER)

BUILD_DIR ?= $(CURDIR)/build
CMAKE_BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX ?= /usr/local
DESTDIR ?=
CTEST_ARGS ?=
SCENARIOS ?=
KMOD_KO := $(CURDIR)/kmod/netstack_kmon.ko
DKMS_NAME := netstack-kmon
DKMS_SRC := /usr/src/$(DKMS_NAME)-$(VERSION)
RUN_VM = $(CURDIR)/tests/vm/run-vm.sh --build-dir $(BUILD_DIR) --kernel $(KERNEL_IMAGE) \
	--kver $(KVER) --kmod $(KMOD_KO)

.PHONY: all deps module tool test unit vm demo install install-tool install-module \
	dkms-install dkms-uninstall clean check-kernel preflight run-demo run-tests help bench

all: module tool

help:
	@sed -n '1,/^$$/p' $(firstword $(MAKEFILE_LIST))
	@echo "KVER=$(KVER) KDIR=$(KDIR) KERNEL_IMAGE=$(KERNEL_IMAGE)"

deps:
	@$(DEPS)

check-kernel:
	@test -n "$(KVER)" || { echo "No kernel with both /boot/vmlinuz-<ver> and /lib/modules/<ver>/build: run 'make deps' or set KVER= / KDIR=" >&2; exit 1; }
	@test -d "$(KDIR)" || { echo "Kernel build tree $(KDIR) not found: install linux-headers-$(KVER) or set KDIR=" >&2; exit 1; }
	@k=$$($(KDIR_SH) --kver-of '$(KDIR)' 2>/dev/null) || exit 0; [ "$$k" = '$(KVER)' ] || \
		{ echo "KVER=$(KVER) but KDIR=$(KDIR) is the build tree of $$k: give one of them (KDIR= alone sets KVER)" >&2; exit 1; }

# Preflight: before building, the packages the requested goals need (the
# lists are scripts/install-deps.sh's); if some are missing, say which and
# how to install them instead of failing in CMake or Kbuild.  The kernel
# group only when the kernel is not chosen by hand.  NSK_NO_PREFLIGHT=1
# skips it (a non-Debian host with everything installed another way).
_goals := $(or $(MAKECMDGOALS),all)
_pf := $(if $(filter tool,$(_goals)),tool) $(if $(filter module,$(_goals)),module)
_pf := $(or $(if $(filter-out tool module,$(_goals)),tool module),$(strip $(_pf)))
PREFLIGHT_GROUPS := $(_pf)$(if $(filter module,$(_pf)),$(if $(_kernel_by_hand),, kernel))

preflight:
ifeq ($(NSK_NO_PREFLIGHT),)
	@$(DEPS) --check $(PREFLIGHT_GROUPS)
endif

module: preflight check-kernel
	$(MAKE) -C $(KDIR) M=$(CURDIR)/kmod modules

tool: preflight
	cmake -S $(CURDIR) -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(CMAKE_BUILD_TYPE) \
		-DNSK_KMOD=$(KMOD_KO) -DNSK_KVER=$(KVER) -DNSK_KERNEL_IMAGE=$(KERNEL_IMAGE) -DNSK_KDIR=$(KDIR)
	cmake --build $(BUILD_DIR) -j$(JOBS)

# deps-if-missing (quiet and fast when all is there), then build and test in
# sub-makes so KVER is looked up after the kernel is installed.
test:
	@$(DEPS)
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory run-tests

# On failure the last lines say why (the failing VM scenarios' FAIL lines and the log to
# read): CI keeps only the end of the output.
run-tests:
	@ctest --test-dir $(BUILD_DIR) --output-on-failure -j$(JOBS) $(CTEST_ARGS) || \
	  { rc=$$?; for f in $$(ls -t $(BUILD_DIR)/vm/logs/*.log 2>/dev/null); do \
	    grep -q '^---- FAIL\|^FAIL: ' $$f && { echo "== $$f:"; grep -B3 -m3 '^FAIL: \|^---- FAIL' $$f; }; \
	  done; exit $$rc; }

# Unit tests only / VM scenarios only (SCENARIOS="01_load_status demo" runs
# those in one VM with the console streamed).
unit:
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j$(JOBS) -LE 'vm|kbuild|dkms' $(CTEST_ARGS)

vm: check-kernel
ifeq ($(strip $(SCENARIOS)),)
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j$(JOBS) -L vm $(CTEST_ARGS)
else
	$(RUN_VM) --live $(SCENARIOS)
endif

bench: check-kernel
	@$(DEPS) bench
	$(CURDIR)/scripts/bench.sh --build-dir $(BUILD_DIR) --kernel $(KERNEL_IMAGE) --kver $(KVER) \
		--kmod $(KMOD_KO) $(BENCH_ARGS)

demo:
	@$(DEPS)
	@mkdir -p $(BUILD_DIR)
	@echo "Building module and tool (log: $(BUILD_DIR)/build.log) ..."
	@$(MAKE) --no-print-directory all >$(BUILD_DIR)/build.log 2>&1 || \
		{ tail -n 40 $(BUILD_DIR)/build.log; echo "Build failed: see $(BUILD_DIR)/build.log" >&2; exit 1; }
	@$(MAKE) --no-print-directory run-demo

run-demo: check-kernel
	@echo "Booting kernel $(KVER) in QEMU ..."
	@$(RUN_VM) --show demo

# `make && sudo make install`.  The module goes to /lib/modules/$(KVER)/extra
# (under DESTDIR if set); depmod runs only for a real install (no DESTDIR).
# Not signed (distribution keys are not on the machine) unless MODULE_SIGN=1
# and the tree has a signing key; with Secure Boot prefer `make dkms-install`
# (DKMS signs with its MOK key).
# Kernel matrix: build the module against each kernel (scripts/get-kernel.sh:
# 6.1 = the installed Debian kernel, 6.12, 5.10, nobpf = 6.1 without BPF,
# downloaded/built once and cached in /var/cache/netstack-kmon) and run the
# VM scenarios on it.  `make test-nobpf` is the no-BPF proof (the first run
# builds the kernel: ~6 min on an idle 2-core machine).
# Older series (5.4, 4.19) are built from source trees you give in
# KERNEL_SRC (scripts/build-kernel.sh legacy; 10-25 min each the first
# time), e.g.  make test-kernels KERNELS="5.4 4.19" \
#   KERNEL_SRC="/work/legacy-src/linux-5.4.286 /work/legacy-src/linux-4.19.222"
# (docs/compat.md names the trees and what passes on each).
KERNELS ?= 6.1
KERNEL_SRC ?=
MATRIX_SCENARIOS ?= $(notdir $(basename $(wildcard tests/vm/scenarios/[0-9]*.sh)))
test-kernels: tool
	@rc=0; for k in $(KERNELS); do eval "$$(NSK_KERNEL_SRC='$(KERNEL_SRC)' scripts/get-kernel.sh $$k)" || exit 1; \
	  tests/kbuild/build-module.sh "$$KDIR" $(BUILD_DIR)/kbuild/$$KVER && \
	  tests/vm/run-vm.sh --build-dir $(BUILD_DIR) --kernel "$$KERNEL_IMAGE" --kver "$$KVER" \
	    $${MODULES_DIR:+--modules-dir "$$MODULES_DIR"} \
	    --kmod $(BUILD_DIR)/kbuild/$$KVER/kmod/netstack_kmon.ko --timeout 1800 $(MATRIX_SCENARIOS) || rc=1; \
	  if [ $$k = nobpf ]; then tests/vm/run-vm.sh --build-dir $(BUILD_DIR) --kernel "$$KERNEL_IMAGE" \
	    --kver "$$KVER" --kmod $(BUILD_DIR)/kbuild/$$KVER/kmod/netstack_kmon.ko \
	    --scenario-dir tests/vm/nobpf 20_no_bpf || rc=1; fi; done; exit $$rc

test-nobpf:
	$(MAKE) test-kernels KERNELS=nobpf

# The debug kernel (scripts/build-kernel.sh debug: KASAN, lockdep, kmemleak,
# DEBUG_ATOMIC_SLEEP; built once, 15-25 min) and every VM scenario on it, one
# VM per scenario (a splat panics that VM only: panic_on_warn), with more
# time and memory (KASAN under TCG is ~3x slower).  Not part of `make test`.
# Results and findings: docs/security.md ("Debug kernel").
#   make test-debug FTRACE_PROBED=1      with the kernel's function tracer on
#       every function the module probes while each scenario runs
#       (run-vm.sh --ftrace-probed; single-threaded TCG, slower)
#   make test-debug DEBUG_KMOD_ARGS=kprobes_only=1   the kprobe fallback
#   make test-debug MATRIX_SCENARIOS="40_start_stop_cycles 49_arm_disarm_stress"
DEBUG_VM_TIMEOUT ?= 1500
FTRACE_PROBED ?=
DEBUG_KMOD_ARGS ?=
test-debug: tool
	@eval "$$(scripts/get-kernel.sh debug)" || exit 1; \
	  tests/kbuild/build-module.sh "$$KDIR" $(BUILD_DIR)/kbuild/$$KVER || exit 1; \
	  failed=; for s in $(MATRIX_SCENARIOS); do \
	    tests/vm/run-vm.sh --build-dir $(BUILD_DIR) --kernel "$$KERNEL_IMAGE" --kver "$$KVER" \
	      --kmod $(BUILD_DIR)/kbuild/$$KVER/kmod/netstack_kmon.ko --bzimage --mem 2048 \
	      $(if $(filter 1 yes y,$(FTRACE_PROBED)),--ftrace-probed) \
	      $(if $(DEBUG_KMOD_ARGS),--kmod-args "$(DEBUG_KMOD_ARGS)") \
	      --timeout $(DEBUG_VM_TIMEOUT) $$s || failed="$$failed $$s"; done; \
	  if [ -n "$$failed" ]; then echo "test-debug: FAILED:$$failed"; exit 1; fi; \
	  echo "test-debug: all scenarios passed on $$KVER$(if $(filter 1 yes y,$(FTRACE_PROBED)), with the function tracer on the probed functions)$(if $(DEBUG_KMOD_ARGS), ($(DEBUG_KMOD_ARGS)))"

.PHONY: test-kernels test-nobpf test-debug

install: install-tool install-module

install-tool:
	@test -f $(BUILD_DIR)/nsk-paths.sh || { echo "Nothing built in $(BUILD_DIR): run 'make' first" >&2; exit 1; }
	. $(BUILD_DIR)/nsk-paths.sh && test -x "$$NSK_PATH_TOOL" && \
		install -D -m 0755 "$$NSK_PATH_TOOL" "$(DESTDIR)$(PREFIX)/bin/netstack-kmon"

install-module: check-kernel
	@test -f $(KMOD_KO) || { echo "$(KMOD_KO) not built: run 'make' first" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR)/kmod $(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR)) \
		$(if $(MODULE_SIGN),,CONFIG_MODULE_SIG_ALL=) modules_install
ifeq ($(DESTDIR),)
	depmod -a $(KVER)
	@if [ "$$(uname -r)" != "$(KVER)" ]; then \
		echo "note: installed for kernel $(KVER); the running kernel is $$(uname -r)." \
		     "Boot $(KVER), or build for the running kernel: make KVER=$$(uname -r) && make install KVER=$$(uname -r)"; \
	fi
endif

# DKMS: a clean copy of kmod/ + include/ in $(DKMS_SRC), dkms.conf with
# PACKAGE_VERSION from VERSION; rebuilt automatically for new kernels
# (AUTOINSTALL: Debian's /etc/kernel/header_postinst.d/dkms hook runs when a
# linux-headers package is installed).  Sources only: no build output, and no
# dot file (Kbuild's .*.cmd, .*.d and .tmp_* temporaries of a build running
# in kmod/ at the same time).  A KDIR outside /lib/modules/$(KVER)/build is
# passed to DKMS as the kernel source dir; the kernel must be installed
# (/lib/modules/$(KVER) exists), as DKMS wants.
DKMS_TAR_EXCLUDES := --exclude='.*' --exclude='*.o' --exclude='*.ko' --exclude='*.ko.*' \
	--exclude='*.mod' --exclude='*.mod.c' --exclude='*.a' --exclude='*.order' --exclude='*.symvers' \
	--exclude='*.dwo' --exclude='*.su' --exclude='*.tmp'
DKMS_K = -k $(KVER)$(if $(filter-out /lib/modules/$(KVER)/build,$(KDIR)), --kernelsourcedir $(KDIR))
dkms-install: check-kernel
	@test -d /lib/modules/$(KVER) || { echo "Kernel $(KVER) is not installed here (no /lib/modules/$(KVER)):" \
		"DKMS installs only for installed kernels. To just compile against $(KDIR): make module KDIR=$(KDIR)" >&2; exit 1; }
	@$(DEPS) module dkms
	-@dkms remove -m $(DKMS_NAME) -v $(VERSION) --all >/dev/null 2>&1
	rm -rf $(DKMS_SRC)
	mkdir -p $(DKMS_SRC)
	tar -C $(CURDIR) $(DKMS_TAR_EXCLUDES) -cf - kmod include VERSION | tar -C $(DKMS_SRC) -xf -
	sed 's/^PACKAGE_VERSION=.*/PACKAGE_VERSION="$(VERSION)"/' $(CURDIR)/dkms.conf >$(DKMS_SRC)/dkms.conf
	dkms add -m $(DKMS_NAME) -v $(VERSION)
	dkms build -m $(DKMS_NAME) -v $(VERSION) $(DKMS_K)
	dkms install -m $(DKMS_NAME) -v $(VERSION) $(DKMS_K)

dkms-uninstall:
	-dkms remove -m $(DKMS_NAME) -v $(VERSION) --all
	rm -rf $(DKMS_SRC)

clean:
	@if [ -n "$(KVER)" ] && [ -d "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR)/kmod clean || true; fi
	find $(CURDIR)/kmod \( -name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' \
		-o -name '.*.cmd' -o -name 'Module.symvers' -o -name 'modules.order' \) -delete
	rm -rf $(BUILD_DIR)
