# Conveniences over the two set-up commands in the README; `just` is optional.

# Run the main job on the bundled fixtures into ./lake.
demo:
    cargo run --release -- demo

# Run every test (installs its Python packages into .venv).
test:
    ./scripts/test

# What CI runs: fmt, clippy -D warnings, then the tests.
ci:
    bash .ci/run

# Regenerate the bundled fixture series (3 accounts x 40 roles x 30 days).
fixtures:
    rm -rf fixtures/default
    cargo run --release -- fixtures generate --accounts 3 --roles-per-account 40 --days 30 --seed 1 --start-date 2026-10-01 --out fixtures/default

# Check a lake against the Snowflake/Athena conventions.
lint lake="lake":
    cargo run --release -- lint --lake {{lake}}

# Regenerate docs/LAKE.md from the schemas in src/model.
docs:
    cargo run -- docs lake > docs/LAKE.md

# Run every benchmark (release build) and rewrite docs/BENCHMARKS.md.
bench:
    python3 scripts/bench.py
