# midobake: see README.md. Every target works on a fresh machine with Go; `make test` needs the
# tools .ci/run installs (cloud-init, ...) and fails in CI (CI=true) when one is missing.
GO      ?= go
BIN     ?= bin
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/midobake/midobake/generator/emit.Version=$(VERSION)
export CHECKPOINT_DISABLE := 1

.PHONY: build test lint golden bench clean

build:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN)/midobake ./cmd/midobake

test:
	$(GO) vet ./...
	$(GO) test -count=1 ./...

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
