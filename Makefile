# One command builds, one runs the gateway, one tests; CI calls the same.
.PHONY: build run test peers

build:
	dotnet build Portcullis.slnx

run:
	dotnet run --project src/Portcullis.Cli -- serve --config examples/quickstart/portcullis.yaml

# The npm test peers (reference MCP servers, the inspector CLI, the conformance suite, Node 22), pinned by the lockfile.
peers: tests/peers/node_modules/.package-lock.json

tests/peers/node_modules/.package-lock.json: tests/peers/package.json tests/peers/package-lock.json
	npm ci --prefix tests/peers --no-audit --no-fund

test: peers
	@rm -rf artifacts/conformance
	dotnet test Portcullis.slnx; status=$$?; cat artifacts/conformance/*.txt 2>/dev/null; exit $$status
