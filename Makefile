# The two set-up commands of the README. Both install the CPU build of PyTorch from
# this machine's disk first (a bare `pip install torch` would download a CUDA build).
PYTHON ?= python3
PIP = $(PYTHON) -m pip

.PHONY: demo test osse install-demo install-test

install-demo:
	$(PIP) install torch==2.13.0
	$(PIP) install -e ".[plot]"

install-test:
	$(PIP) install torch==2.13.0
	$(PIP) install -e ".[test]"

## make demo: fit synthetic along-track data, write demo_output/sla_maps.nc, sla_map.png, sla.geoinr
demo: install-demo
	$(PYTHON) examples/quickstart.py --out demo_output

## make test: install and run the test suite (doctests included)
test: install-test
	$(PYTHON) -m pytest

## make osse: the mapping benchmark (QG truth, 4 altimeters; linear, OI and geoinr), ~10 minutes
osse: install-test
	$(PYTHON) benchmarks/osse.py
