# 政务服务助手 — the two commands are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV   := .venv
PY     := $(VENV)/bin/python
RASA   := $(VENV)/bin/rasa
MODEL  := models/zhengwu.tar.gz
STAMP  := models/.trained-from
RASA_PORT    ?= 5005
KIOSK_PORT   ?= 8080
CONSOLE_PORT ?= 8090
# The action server's port must match action_endpoint in endpoints.yml.
ACTIONS_PORT := 5055
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2

# Rasa 3.6 needs Python 3.10: take python3.10 from PATH, else any 3.10 under pyenv.
PYTHON310 := $(shell \
  for p in "$$PYTHON310" python3.10 $$(ls -d "$$(pyenv root 2>/dev/null)"/versions/3.10*/bin/python 2>/dev/null | sort -rV) \
           $$(ls -d "$$HOME"/.pyenv/versions/3.10*/bin/python 2>/dev/null | sort -rV); do \
    [ -n "$$p" ] && command -v "$$p" >/dev/null 2>&1 && \
    "$$p" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null && { command -v "$$p"; break; }; \
  done)

# Everything a trained model depends on; a change to any of these retrains. A shell command, run
# in the recipe after `tools.kb nlu-data` has written nlu_data/generated/, so one hash covers those too.
# (The service matcher reads the live knowledge base at run time, so it is not an input.)
TRAINING_INPUTS = { echo config.yml domain.yml; find nlu_data knowledge_base bot/nlu common/text.py -type f \( -name '*.yml' -o -name '*.py' \) \
                    -not -path '*/__pycache__/*' -not -name service_matcher.py | sort; }

.PHONY: help profile run run-cluster test test-fast lint eval validate train shell clean system-packages fonts browser nginx axe kiosk telegram wechat console kb bench audit

CHART_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

help:
	@echo "make run    set up, train if needed, start the assistant (Rasa :$(RASA_PORT), actions :$(ACTIONS_PORT))"
	@echo "make test   run the test suite (everything; installs the Debian packages it needs)"
	@echo "make test-fast   the tests that need no server, model, browser or database (well under a minute)"
	@echo "make lint   ruff (lint and format) and mypy"
	@echo "make eval   the frozen citizen questions end to end over REST, then parse metrics (EVAL_ARGS=--errors)"
	@echo "make shell  chat in the terminal (with 'make run' running in another terminal)"
	@echo "make kiosk / make telegram / make wechat   start one channel on its own (with 'make run' running)"
	@echo "make console     the staff console alone (make run starts it too; :$(CONSOLE_PORT))"
	@echo "make kb ARGS=\"…\"           the staff tool for the knowledge base (ARGS=--help)"
	@echo "make run-cluster   2 Rasa + 2 action servers behind nginx, on PostgreSQL and Redis (RASA=n ACTIONS=m)"
	@echo "make bench         the load benchmark (single machine and cluster side by side)"

$(VENV)/.installed: requirements.txt pyproject.toml
	@if [ -z "$(PYTHON310)" ]; then \
	  echo "错误：找不到 Python 3.10（Rasa 3.6 不支持 3.11 及以上）。"; \
	  echo "Python 3.10 is required. Install it, for example:"; \
	  echo "  pyenv install 3.10.13        (then run make again), or"; \
	  echo "  sudo apt install python3.10 python3.10-venv"; \
	  echo "or point PYTHON310=/path/to/python3.10 at one."; \
	  exit 1; fi
	@echo "Using $(PYTHON310)"
	test -x $(PY) || $(PYTHON310) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip<24.1"
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	$(PY) -m pip check
	touch $@

# Train only when an input changed since the last model (content hash, not mtimes,
# so a fresh clone with an existing model does not retrain for nothing).
train: $(VENV)/.installed
	@mkdir -p models var
	@$(PY) -m tools.kb nlu-data --out nlu_data/generated >/dev/null
	@hash=$$(cat $$($(TRAINING_INPUTS)) | sha256sum | cut -c1-16); \
	if [ -f $(MODEL) ] && [ "$$(cat $(STAMP) 2>/dev/null)" = "$$hash" ]; then \
	  echo "Model is up to date ($$hash)."; \
	else \
	  echo "Training data or knowledge base changed: training ($$hash)…"; \
	  $(RASA) train --data nlu_data --domain domain.yml --config config.yml \
	    --out models --fixed-model-name zhengwu --force --quiet && echo "$$hash" > $(STAMP); \
	fi

validate: $(VENV)/.installed
	$(RASA) data validate --data nlu_data --domain domain.yml --config config.yml --fail-on-warnings

# Rasa, the action server, the kiosk page and the staff console; the Telegram relay too when TELEGRAM_BOT_TOKEN is set.
# A region's catalogue (make run KB_PROFILE=guangdong): imported again when its export, mapping or
# staff's decisions changed (knowledge_base/imports/profiles.yml; docs/staff-guide.md).
export KB_PROFILE
profile: $(VENV)/.installed
	@if [ -n "$(KB_PROFILE)" ]; then \
	  stamp=var/imports/$(KB_PROFILE)/imports.jsonl; \
	  if [ -f $$stamp ] && [ -z "$$(find knowledge_base/imports -newer $$stamp -type f)" ]; then \
	    echo "Catalogue of $(KB_PROFILE) is up to date ($$stamp)."; \
	  else $(PY) -m tools.kb import-catalogue --profile $(KB_PROFILE); fi; \
	fi

run: train profile
	$(PY) -m tools.launch --rasa-port $(RASA_PORT) --actions-port $(ACTIONS_PORT) --kiosk-port $(KIOSK_PORT) --console-port $(CONSOLE_PORT)

# Scale-out on one machine: nginx in front, PostgreSQL tracker/feedback/checklist stores, Redis locks.
RASA ?= 2
ACTIONS ?= 2
run-cluster: train nginx
	$(PY) -m tools.launch cluster --rasa $(RASA) --actions $(ACTIONS)

bench: train nginx
	$(PY) -m bench.load

# Known vulnerabilities in the pinned dependencies (CI runs it after the tests). pip-audit lives in
# a venv of its own: its dependencies clash with Rasa's pins (packaging<21). It fails on a known
# vulnerability unless deploy/audit-ignore.txt notes it, and says so when it could not check a package
# (no advisory data reachable: pip-audit then reports "no known vulnerabilities" for what it skipped).
AUDIT_IGNORES = $(foreach id,$(shell grep -o '^[A-Za-z0-9-]*' deploy/audit-ignore.txt),--ignore-vuln $(id))
audit:
	@test -x .venv-audit/bin/pip-audit || { $(PYTHON310) -m venv .venv-audit && .venv-audit/bin/pip install -q pip-audit; }
	@mkdir -p var
	@.venv-audit/bin/pip-audit -r requirements.txt --progress-spinner off $(AUDIT_IGNORES) > var/audit.txt 2>&1; rc=$$?; \
	grep -v '^WARNING: Location' var/audit.txt | grep -v 'could not be audited'; \
	skipped=$$(grep -c 'could not be audited' var/audit.txt); \
	if [ "$$skipped" -gt 0 ]; then \
	  echo "NOT AUDITED: $$skipped of the packages could not be checked: no vulnerability data is reachable from"; \
	  echo "this machine (PyPI's JSON API, api.osv.dev). Run make audit where it is. Details: var/audit.txt"; fi; \
	exit $$rc

shell: $(VENV)/.installed
	@$(PY) -m tools.chat --url http://localhost:$(RASA_PORT)/webhooks/rest/webhook

# The staff tool: make kb ARGS="validate" | ARGS="export --xlsx kb.xlsx" | … (python -m tools.kb --help)
kb: $(VENV)/.installed
	@$(PY) -m tools.kb $(ARGS)

kiosk: $(VENV)/.installed
	$(PY) -m relays.kiosk --port $(KIOSK_PORT) --rasa-url http://localhost:$(RASA_PORT)

telegram: $(VENV)/.installed
	RASA_URL=http://localhost:$(RASA_PORT) $(PY) -m relays.telegram

# The WeChat Official Account relay alone (WECHAT_TOKEN, WECHAT_APP_ID, WECHAT_APP_SECRET; docs/wechat.md)
wechat: $(VENV)/.installed
	RASA_URL=http://localhost:$(RASA_PORT) $(PY) -m relays.wechat

# The staff console alone (beside a running `make run`); the first admin: python -m console create-admin NAME
console: $(VENV)/.installed
	RASA_URL=http://localhost:$(RASA_PORT) ACTIONS_URL=http://localhost:$(ACTIONS_PORT) \
	  $(PY) -m console serve --port $(CONSOLE_PORT)

# The 好差评 charts need a Chinese font: Debian's fonts-wqy-microhei.
fonts:
	@[ -f $(CHART_FONT) ] || { \
	  echo "Installing the Chinese chart font (Debian package fonts-wqy-microhei)…"; \
	  $(SUDO) apt-get install -y -q fonts-wqy-microhei >/dev/null 2>&1 || \
	  { $(SUDO) apt-get update -q >/dev/null 2>&1 && $(SUDO) apt-get install -y -q fonts-wqy-microhei >/dev/null 2>&1; } || \
	  { echo "错误：无法安装中文字体。请运行：sudo apt-get install fonts-wqy-microhei"; exit 1; }; }

# The kiosk tests drive Debian's Chromium (Playwright uses it; it downloads no browser of its own).
browser:
	@[ -x /usr/bin/chromium ] || { \
	  echo "Installing Chromium for the kiosk tests (Debian package chromium)…"; \
	  $(SUDO) apt-get install -y -q chromium >/dev/null 2>&1 || \
	  { $(SUDO) apt-get update -q >/dev/null 2>&1 && $(SUDO) apt-get install -y -q chromium >/dev/null 2>&1; } || \
	  { echo "错误：无法安装 Chromium。请运行：sudo apt-get install chromium"; exit 1; }; }

nginx:
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { \
	  echo "Installing nginx for the cluster (Debian package nginx-light)…"; \
	  $(SUDO) apt-get install -y -q nginx-light >/dev/null 2>&1 || \
	  { $(SUDO) apt-get update -q >/dev/null 2>&1 && $(SUDO) apt-get install -y -q nginx-light >/dev/null 2>&1; } || \
	  { echo "错误：无法安装 nginx。请运行：sudo apt-get install nginx-light"; exit 1; }; }

# The Debian packages the whole suite needs: a Chinese chart font, Chromium, nginx.
system-packages: fonts browser nginx

# axe-core (npm, pinned in tests/accessibility/package-lock.json) for the kiosk's accessibility check.
AXE := tests/accessibility/node_modules/axe-core/axe.min.js
axe: $(AXE)
$(AXE): tests/accessibility/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "错误：缺少 npm（无障碍检查要用 axe-core）。请运行：sudo apt-get install npm"; exit 1; }
	cd tests/accessibility && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

test: train system-packages axe
	$(PY) -m tools.kb validate
	$(RASA) data validate --data nlu_data --domain domain.yml --config config.yml --fail-on-warnings --quiet
	$(PY) -m pytest -q tests

test-fast: $(VENV)/.installed
	$(PY) -m pytest -q tests -m "not server and not model and not database and not browser"

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# End to end first (the frozen citizen set through the REST channel), then the parse metrics
# (intent table and in-process parse latency on the older held-out questions) as a secondary table.
eval: train profile
	$(PY) -m tools.evaluation.end_to_end $(EVAL_ARGS)
	@echo; echo "---- secondary: NLU parse metrics (tests/eval/questions.yml) ----"
	$(PY) -m tools.evaluation.parse_metrics --model $(MODEL) --questions tests/eval/questions.yml

clean:
	rm -rf models var .pytest_cache test-artifacts
