# midobake: see README.md. Every target works on a fresh machine with Go; `make test` needs the
# tools .ci/run installs (cloud-init, ...) and fails in CI (CI=true) when one is missing.
GO      ?= go
BIN     ?= bin
export CHECKPOINT_DISABLE := 1

PLUGIN_VERSION := $(shell sed -n 's/^var Version = "\(.*\)"/\1/p' generator/emit/render.go)
PACKER_PLUGIN_PATH ?= $(HOME)/.packer.d/plugins
PLUGIN_BIN := $(PACKER_PLUGIN_PATH)/github.com/midobake/midobake/packer-plugin-midobake_v$(PLUGIN_VERSION)_x5.0_linux_amd64

.PHONY: build plugin packer test lint golden generate bench clean

build:
	$(GO) build -trimpath -o $(BIN)/midobake ./cmd/midobake

# Build the Packer plugin and install it where packer finds it for required_plugins.
plugin:
	mkdir -p $(dir $(PLUGIN_BIN))
	$(GO) build -trimpath -o $(PLUGIN_BIN) ./cmd/packer-plugin-midobake
	sha256sum $(PLUGIN_BIN) | cut -d' ' -f1 > $(PLUGIN_BIN)_SHA256SUM
	@echo "installed $(PLUGIN_BIN)"

# Packer 1.9.4 built from its module (Debian's packer is too old for SDK plugins).
packer:
	cd tools/packer && $(GO) build -o ../../$(BIN)/packer github.com/hashicorp/packer

# Regenerate the plugin's HCL2 specs after changing a Config struct.
generate:
	$(GO) generate ./packer/...

test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 45m ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# Rewrite golden files from the current output; review `git diff fixtures/golden` afterwards.
golden:
	$(GO) test ./... -update

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf $(BIN) out
