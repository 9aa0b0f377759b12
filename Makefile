# Sluice. `make run` starts the quickstart; `make test` runs every test as CI does.

GO      ?= go
BIN     := bin/sluice
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS := -X github.com/sluicehq/sluice/cmd/sluice/cli.Version=$(VERSION)

.PHONY: build run test bench lint clean

build: ## build bin/sluice
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/sluice

run: build ## start the quickstart pipeline and print what to try
	@scripts/quickstart.sh

test: ## install test tools, start Kafka, vet and run every test with -race
	@scripts/test.sh

bench: build ## run every benchmark scenario against its reference and rewrite docs/benchmarks.md (about 15 minutes)
	@scripts/bench.sh

lint: ## gofmt, go vet and staticcheck
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

clean:
	rm -rf bin
