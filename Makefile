# onair: `make run` serves on the embedded default; `make test` runs every test.
GO      ?= go
BIN     := bin/onair
ARGS    ?=

.PHONY: run build test deps deps-test docs-assets vet fuzz clean

## run: install what is missing, build, and serve on ./data with SQLite
run: deps build
	./$(BIN) serve $(ARGS)

## build: write ./bin/onair
build: docs-assets
	$(GO) build -o $(BIN) ./cmd/onair

## test: every test, against real SQLite, PostgreSQL (started by the tests), ffmpeg and Chromium
test: deps-test docs-assets
	@unformatted=$$(gofmt -l cmd internal bench deploy); if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) test -p 1 ./... -count=1 -timeout 14m

deps:
	@scripts/deps.sh go npm
	@scripts/deps.sh --optional ffmpeg

deps-test:
	@scripts/deps.sh go npm ffmpeg postgresql chromium nginx-rtmp apache2

## docs-assets: the Swagger UI files that /docs serves, from npm, into internal/docs/dist
docs-assets:
	@scripts/docs-assets.sh

clean:
	rm -rf bin
