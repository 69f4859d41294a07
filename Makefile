# midobake: see README.md. Every target works on a fresh machine with Go; `make test` needs the
# tools .ci/run installs (cloud-init, ...) and fails in CI (CI=true) when one is missing.
GO      ?= go
BIN     ?= bin
export CHECKPOINT_DISABLE := 1
# What midobake ships (the CLI and hook, the RPM's payload, the Packer plugin) runs on EL7,
# whose glibc is 2.17: every binary is static, for linux/amd64, whatever builds it.
SHIP    := CGO_ENABLED=0 GOOS=linux GOARCH=amd64

PLUGIN_VERSION := $(shell sed -n 's/^var Version = "\(.*\)"/\1/p' internal/version/version.go)
PACKER_PLUGIN_PATH ?= $(HOME)/.packer.d/plugins
PLUGIN_BIN := $(PACKER_PLUGIN_PATH)/github.com/midobake/midobake/packer-plugin-midobake_v$(PLUGIN_VERSION)_x5.0_linux_amd64

.PHONY: build plugin packer rpm deps test fuzz lint golden generate bench clean lab

build:
	$(SHIP) $(GO) build -trimpath -buildvcs=auto -o $(BIN)/midobake ./cmd/midobake

# Build the Packer plugin and install it where packer finds it for required_plugins.
plugin:
	mkdir -p $(dir $(PLUGIN_BIN))
	$(SHIP) $(GO) build -trimpath -o $(PLUGIN_BIN) ./cmd/packer-plugin-midobake
	sha256sum $(PLUGIN_BIN) | cut -d' ' -f1 > $(PLUGIN_BIN)_SHA256SUM
	@echo "installed $(PLUGIN_BIN)"

# Packer 1.9.4 built from its module (Debian's packer is too old for SDK plugins).
packer:
	cd tools/packer && $(GO) build -o ../../$(BIN)/packer github.com/hashicorp/packer

# The midobake RPM (the hook for plain images), with nfpm built from tools/nfpm, signed with
# MIDOBAKE_RPM_KEY (an armored OpenPGP private key file): every repository checks signatures,
# and yum refuses an unsigned package. An unsigned one (for tests of the package itself) only
# when asked: MIDOBAKE_RPM_UNSIGNED=1.
MIDOBAKE_RPM_KEY ?=
MIDOBAKE_RPM_UNSIGNED ?=
rpm: build
	@if [ -z "$(MIDOBAKE_RPM_KEY)" ] && [ "$(MIDOBAKE_RPM_UNSIGNED)" != 1 ]; then \
	  echo "make rpm: no MIDOBAKE_RPM_KEY: yum refuses unsigned packages from a repository that checks signatures (as midobake's do)." >&2; \
	  echo "make rpm: sign with MIDOBAKE_RPM_KEY=key.asc, or say MIDOBAKE_RPM_UNSIGNED=1 for an unsigned package." >&2; exit 2; fi
	cd tools/nfpm && $(GO) build -o ../../$(BIN)/nfpm github.com/goreleaser/nfpm/v2/cmd/nfpm
	VERSION=$(PLUGIN_VERSION) MIDOBAKE_RPM_KEY=$(MIDOBAKE_RPM_KEY) $(BIN)/nfpm package -f packaging/nfpm.yaml -p rpm -t $(BIN)/

# Regenerate the plugin's HCL2 specs after changing a Config struct.
generate:
	$(GO) generate ./packer/...

# An exec count, not a duration: Go 1.26's fuzz coordinator can fail a target with "context
# deadline exceeded" when a duration ends while a worker is mid-exec (golang/go#75804, fixed
# in Go 1.27); a count has no deadline to race.
FUZZTIME ?= 10000x

# Lint (gofmt, vet, staticcheck), every package's tests, then the lab on its own (its VMs under TCG want both cores): the
# whole cloud (bake, first boot, reboot, late host; about 34 minutes under TCG, twice that on a
# slow runner: hence the timeout) and its quick
# tests; its figures end the run.
# What the tests drive for real (apt packages, EL7's ZooKeeper 3.4), installed as root:
# "sudo make deps test" on a fresh Debian 12 machine. .ci/run does the same.
deps:
	bash test/deps.sh

# PHASE runs a command and records how long it took in build/phases.txt, which the test run
# prints at its end (and .ci/run when it fails), so a slow run says where it was slow.
PHASE = t=$$(date +%s); trap 'echo "$(1) $$(( $$(date +%s) - t ))s$$( [ $$? = 0 ] || echo " FAILED")" >> build/phases.txt' EXIT;

test:
	@# Each missing tool, named with how to install it; in CI a missing one fails the run.
	@bash test/deps.sh --check || [ "$$CI" != true ] || { echo "make test: CI=true and tools are missing (sudo make deps)"; exit 1; }
	@# The lab's base image (debootstrap, minutes) builds meanwhile; the lab waits for it.
	@mkdir -p build/_cache && : > build/phases.txt && (bash test/lab/base-image.sh $(CURDIR)/build/_cache > build/lab-base-image.log 2>&1 &)
	@$(call PHASE,lint) $(MAKE) --no-print-directory lint
	@$(call PHASE,unit+e2e) $(GO) test -count=1 -timeout 30m $$($(GO) list ./... | grep -v /test/lab)
	@# ZooKeeper 3.4 (EL7's) is every test's; the client, lock and backup tests again on 3.8.
	@$(call PHASE,zookeeper-3.8) MIDOBAKE_TEST_ZOOKEEPER=3.8 $(GO) test -count=1 ./midonet/ ./backup/
	@$(call PHASE,lab) $(MAKE) --no-print-directory lab
	@$(call PHASE,fuzz) $(MAKE) --no-print-directory fuzz FUZZTIME=$(FUZZTIME)
	@echo "phases (build/phases.txt):"; cat build/phases.txt

# The lab: VMs (qemu, TCG) booted from what midobake makes, checked from the inside; ends with
# the figures it measured (build/lab-summary.txt).
lab:
	$(GO) test -count=1 -timeout 75m ./test/lab
	@echo "lab summary (build/lab-summary.txt):"; cat build/lab-summary.txt

# Each fuzz target for FUZZTIME beyond its seed corpus (the fixtures); crashers land in
# testdata/fuzz and become regression seeds.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) ./cloud
	$(GO) test -run '^$$' -fuzz '^FuzzNetwork$$' -fuzztime $(FUZZTIME) ./cloud
	$(GO) test -run '^$$' -fuzz '^FuzzCalendar$$' -fuzztime $(FUZZTIME) ./cloud
	$(GO) test -run '^$$' -fuzz '^FuzzRender$$' -fuzztime $(FUZZTIME) ./generator/emit
	$(GO) test -run '^$$' -fuzz '^FuzzRenderStructured$$' -fuzztime $(FUZZTIME) ./generator/emit
	$(GO) test -run '^$$' -fuzz '^FuzzAnnouncement$$' -fuzztime $(FUZZTIME) ./enrol
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./report
	$(GO) test -run '^$$' -fuzz '^FuzzRedactText$$' -fuzztime $(FUZZTIME) ./support

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
	@# No function past 60 lines, no file past 400 (internal/sizecheck/allowed.txt only shrinks).
	$(GO) run ./internal/sizecheck $$(git ls-files '*.go')

# Rewrite golden files from the current output; review `git diff fixtures/golden` afterwards.
golden:
	$(GO) test ./... -update

# Go benchmarks as a table (ms and MiB per operation, and what a benchmark reports of its own:
# requests a second, a process's peak memory), then the whole process on 10,000 hosts.
bench:
	@$(GO) test -run '^$$' -bench . -benchmem ./cloud/ ./generator/... ./firstboot/... ./enrol/... ./status/... ./support/ ./cmd/midobake/ | awk '\
	  BEGIN { printf "%-44s %12s %12s %12s  %s\n", "benchmark", "ms/op", "MiB/op", "allocs/op", "reported" } \
	  /^Benchmark/ { ns = b = a = 0; extra = ""; for (i = 3; i < NF; i += 2) { v = $$i; u = $$(i+1); \
	      if (u == "ns/op") ns = v; else if (u == "B/op") b = v; else if (u == "allocs/op") a = v; else if (u != "MB/s") extra = extra sprintf("  %.1f %s", v, u) } \
	    printf "%-44s %12.2f %12.2f %12d%s\n", $$1, ns / 1e6, b / 1048576, a, extra }'
	@bash test/bench/render.sh 10000

clean:
	rm -rf $(BIN) out
