# The course's commands. Each target sets up what it needs and is safe to re-run.
#   make book     execute every chapter (PROFILE=quick by default), write the run report, build the site
#   make test     the whole test suite (what CI runs): lint, fast unit tests, then chapters, browser and install
#   make test-fast     lint and the unit tests only (no notebook runs, no browser, no venv build), for development
#   make test-install  only the fresh-venv pip install test (Colab / plain Jupyter path)
#   make test-full     dry run of every chapter's full profile (2 steps each; writes full-estimates.md)
#   make test-multiworker  gancore train on two loopback workers, with the killed-worker resume `make test` leaves out
#   make lab      open the course in JupyterLab with the course kernel
#   make exercises    regenerate the learner exercise notebooks (chapters/exercises/) from their sources
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PROFILE ?= quick
STAMP := $(VENV)/.gancore-installed

.PHONY: book test test-fast test-install test-full test-multiworker nbval lab setup data browser lint clean exercises

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[lab,test,docs]"
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (gancore)" > /dev/null
	touch $(STAMP)

setup: $(STAMP)

data: $(STAMP)
	$(PY) data_scripts/fetch_data.py mnist fashion_mnist photos_darknet photos_lomiri photos_mate
	$(PY) data_scripts/build_standins.py

browser:
	@bash .ci/install_browser.sh

book: data
	$(PY) -m gancore run --profile $(PROFILE)

# Tiers: lint, then the fast unit tests (a few minutes), then what executes notebooks, drives a browser or builds a venv.
# Tests marked multiworker (more loopback training sessions) stay out of both: `make test-multiworker` runs them.
FAST_TESTS := not chapters and not browser and not install and not multiworker

test: data browser
	$(PY) -m ruff check gancore tests data_scripts chapters
	$(PY) -m pytest -ra -m "$(FAST_TESTS)"
	$(PY) -m pytest -ra -m "not ($(FAST_TESTS)) and not multiworker"

test-fast: data
	$(PY) -m ruff check gancore tests data_scripts chapters
	$(PY) -m pytest -ra -m "$(FAST_TESTS)"

test-full: data
	$(PY) -m gancore run --profile full --dry-run --out _build/full-dry-run --outputs _build/full-dry-run/outputs --no-site

# every test of gancore train under tf.distribute strategies: two logical CPUs, two loopback workers, a killed worker
test-multiworker: data
	$(PY) -m pytest -ra tests/test_multiworker.py

test-install: $(STAMP)
	$(PY) -m pytest -m install -ra

nbval: data
	GANCORE_PROFILE=smoke $(PY) -m pytest --nbval-lax --nbval-kernel-name python3 -p no:cacheprovider chapters

lab: $(STAMP)
	$(VENV)/bin/jupyter lab chapters

# The learner notebooks are generated (nbgrader's preprocessors) from chapters/exercises/solutions/: edit those.
exercises: $(STAMP)
	$(PY) -m gancore exercises release

lint: $(STAMP)
	$(PY) -m ruff check gancore tests data_scripts chapters

clean:
	rm -rf _build outputs
