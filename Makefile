# jiuzhu — two commands: `make run` (set up, demo data, serve) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
MANAGE := $(BIN)/python manage.py

.PHONY: setup system-packages pdf-fonts demo serve run prod test test-gm test-fast lint format bench clean

# The demo runs in DEBUG with a built-in development key; production (`make prod`) never does.
demo serve run: export DJANGO_DEBUG ?= 1

setup: $(STAMP) system-packages var/jiuzhu.key pdf-fonts

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Debian packages the app and its tests need at run time (CJK font, HarfBuzz, chromium).
system-packages:
	@scripts/debian-packages.sh

var/jiuzhu.key: | $(STAMP)
	$(MANAGE) ensure_data_key

# The documents' font cut down to GB 2312 (jiuzhu/web/fonts.py): made once, ~1 min.
pdf-fonts: $(STAMP) system-packages
	$(MANAGE) build_pdf_fonts

demo: setup
	$(MANAGE) migrate --noinput
	$(MANAGE) load_demo

serve:
	@scripts/serve.sh

run: demo
	@$(MAKE) --no-print-directory serve

# Production server (gunicorn + supervised job worker); needs the environment of
# deploy/production.env and DJANGO_SECRET_KEY.
prod: setup
	@scripts/prod.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: setup lint
	$(BIN)/pytest

# The whole suite under the 国密 profile (SM4-GCM, HMAC-SM3, SM2 signatures; issue 19 item 8).
test-gm: setup
	JIUZHU_CRYPTO_PROFILE=gm $(BIN)/pytest

test-fast: setup
	$(BIN)/pytest -m "not browser and not journey"

bench: setup
	@set -e; for f in bench/*.py; do echo "== $$f"; $(BIN)/python $$f; done

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
