# Repeat: `make run` starts the app on the demo shop, `make test` runs everything.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
DB     ?= data/demo.duckdb
HOST   ?= 127.0.0.1
PORT   ?= 8501

.PHONY: run test lint bench demo chromium java clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(DB): | $(VENV)/.installed
	$(PY) -m recs demo --db $(DB)

demo: $(VENV)/.installed
	$(PY) -m recs demo --db $(DB)

run: $(VENV)/.installed $(DB)
	REPEAT_DB=$(DB) HOST=$(HOST) $(PY) -m recs serve --host $(HOST) --port $(PORT) --db $(DB)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

chromium:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

java:  # Spark (recs/spark, tests/test_spark*.py) runs on a JVM: Java 17 from Debian
	@command -v java >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null)

test: $(VENV)/.installed chromium java lint
	$(PY) -m pytest -n 2 --dist loadfile -q -p no:cacheprovider tests

bench: $(VENV)/.installed
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
