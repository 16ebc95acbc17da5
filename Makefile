# Two commands: `make demo` and `make test`. Each sets up .venv if missing (and the headless GL
# libraries when running as root on Debian), then runs.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.igbench-installed
IGBENCH_GL ?= egl
EGL_PKGS := libegl1 libegl-mesa0 libgl1-mesa-dri libgbm1 libopengl0 libgl1
OSMESA_PKGS := libosmesa6
GL_PKGS := $(if $(filter osmesa,$(IGBENCH_GL)),$(OSMESA_PKGS),$(EGL_PKGS))

LLVM_PKGS := libllvm19

.PHONY: demo test setup gl-libs llvm-libs browser lint bench clean

demo: setup
	$(VENV)/bin/igbench demo

test: setup browser
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest -q

setup: $(STAMP) gl-libs llvm-libs

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

# The report page's test opens it in headless Chromium (Debian's package, driven by Playwright);
# without it that test skips and says why.
browser:
	@if command -v dpkg >/dev/null 2>&1 && ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing chromium for the report page's browser test"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "no chromium: the browser test will skip; to run it: sudo apt-get install -y chromium"; \
	  fi; \
	fi

# Headless OpenGL needs system libraries that pip cannot provide.
gl-libs:
	@if command -v dpkg >/dev/null 2>&1 && ! dpkg -s $(GL_PKGS) >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing headless GL libraries: $(GL_PKGS)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(GL_PKGS) >/dev/null; \
	  else \
	    echo "missing headless GL libraries; run: sudo apt-get install -y $(GL_PKGS)"; exit 1; \
	  fi; \
	fi

# The Mitsuba renderer's CPU variant loads LLVM at run time; its wheels do not ship it. Optional:
# without it the Mitsuba tests skip and say why.
llvm-libs:
	@if command -v dpkg >/dev/null 2>&1 && ! dpkg -s $(LLVM_PKGS) >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing LLVM 19 for the Mitsuba renderer: $(LLVM_PKGS)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(LLVM_PKGS) >/dev/null || \
	      echo "could not install $(LLVM_PKGS): the Mitsuba tests will skip"; \
	  else \
	    echo "no $(LLVM_PKGS): the Mitsuba renderer cannot load; run: sudo apt-get install -y $(LLVM_PKGS)"; \
	  fi; \
	fi

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: setup
	$(VENV)/bin/igbench bench render

clean:
	rm -rf $(VENV) out .pytest_cache
