#!/bin/sh
# prometheus_rules.sh DIR PROMTOOL: the shipped Prometheus files in DIR (contrib/prometheus) are
# valid (promtool check config / check rules) and the rules' unit test passes (promtool test
# rules).  A missing promtool fails, unless NSK_ALLOW_NO_PROMETHEUS=1 (then: a loud SKIP, 77).
set -eu
dir=$1 promtool=$2
if ! command -v "$promtool" >/dev/null 2>&1; then
	bar='!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!'
	if [ "${NSK_ALLOW_NO_PROMETHEUS:-}" = 1 ]; then
		printf '%s\nSKIP: promtool is not installed (Debian package prometheus); the rules were NOT checked.\n      NSK_ALLOW_NO_PROMETHEUS=1 allowed the skip.\n%s\n' "$bar" "$bar" >&2
		exit 77
	fi
	printf '%s\nFAIL: promtool is not installed (Debian package prometheus; scripts/install-deps.sh).\n      Set NSK_ALLOW_NO_PROMETHEUS=1 only where the package cannot be installed.\n%s\n' "$bar" "$bar" >&2
	exit 1
fi
cd "$dir"
set -x
"$promtool" check config prometheus.yml
"$promtool" check rules netstack-kmon.rules.yml
"$promtool" test rules netstack-kmon.rules.test.yml
