# The two set-up commands of the README. Both install PyTorch first where no torch 2.4 or newer is installed
# (torch==2.13.0: the CPU build from the development and CI machines' disk; a bare `pip install torch` would
# download a CUDA build there), then geoinr with its extra. A Python that is "externally managed" (PEP 668:
# Debian 12's and Ubuntu's system python3, where pip refuses to install) gets a virtual environment, .venv.
SYSTEM_PYTHON ?= python3
MANAGED := $(shell $(SYSTEM_PYTHON) -c "import os, sys, sysconfig; print(int(sys.prefix == sys.base_prefix and os.path.exists(os.path.join(sysconfig.get_path('stdlib'), 'EXTERNALLY-MANAGED'))))" 2>/dev/null)
ifeq ($(MANAGED),1)
PYTHON ?= .venv/bin/python
else
PYTHON ?= $(SYSTEM_PYTHON)
endif
PIP = $(PYTHON) -m pip
HAS_TORCH = $(PYTHON) -c "import sys, torch; sys.exit(tuple(int(x) for x in torch.__version__.split('.')[:2]) < (2, 4))" 2>/dev/null

.PHONY: demo test osse install-demo install-test python torch

python:
	@if [ "$(PYTHON)" = ".venv/bin/python" ]; then \
		if [ ! -e .venv ]; then $(SYSTEM_PYTHON) -m venv .venv || exit 1; fi; \
		.venv/bin/python -c "" 2>/dev/null || { echo ".venv's Python does not run: remove .venv (or give PYTHON=...)"; exit 1; }; \
		.venv/bin/python -m pip --version >/dev/null 2>&1 || .venv/bin/python -m ensurepip >/dev/null 2>&1 || \
			{ echo ".venv has no pip: install Debian's python3-venv (or give PYTHON=...)"; exit 1; }; \
	fi

torch: python
	$(HAS_TORCH) || $(PIP) install torch==2.13.0

install-demo: torch
	$(PIP) install -e ".[plot]"

install-test: torch
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
