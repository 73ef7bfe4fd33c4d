#!/bin/sh
# The fuzz tests when clang or libFuzzer was not found at configure time: fail loudly (a
# fresh machine gets them from scripts/install-deps.sh), unless NSK_ALLOW_NO_FUZZ=1 (then a
# loud SKIP, exit 77).
echo "clang++ with libFuzzer (-fsanitize=fuzzer) was not found when CMake ran: the fuzzers were not built."
echo "Install them with 'sudo make deps' (Debian: clang, libclang-rt-14-dev) and re-run cmake."
if [ "${NSK_ALLOW_NO_FUZZ:-}" = 1 ]; then
	echo "SKIP: NSK_ALLOW_NO_FUZZ=1"
	exit 77
fi
exit 1
