# SPDX-License-Identifier: GPL-2.0
# Host-side helpers shared by mkbase.sh and run-vm.sh (bash, sourced).

NSK_REPO=${NSK_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}

die() { echo "${0##*/}: error: $*" >&2; exit 2; }
note() { [ -n "${NSK_QUIET:-}" ] || echo "${0##*/}: $*" >&2; }

# elf_deps FILE: print FILE's shared libraries and ELF interpreter (absolute
# paths, one per line); nothing for a static binary or a script.  Fails if a
# library cannot be resolved.
elf_deps() {
	local f=$1 out
	[ "$(head -c 4 "$f" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ] || return 0
	out=$(LC_ALL=C ldd "$f" 2>&1) || {
		case $out in *"not a dynamic executable"*|*"statically linked"*) return 0 ;; esac
		echo "ldd $f failed: $out" >&2; return 1; }
	if grep -q 'not found' <<<"$out"; then
		echo "$f: missing libraries:" >&2; grep 'not found' <<<"$out" >&2; return 1
	fi
	awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<<"$out" | sort -u
}

# stage_elf STAGING SRC DEST: copy SRC to STAGING/DEST (mode kept, symlinks
# followed), plus every library and the interpreter at their own absolute
# paths, so the dynamic loader inside the guest finds them without a cache.
stage_elf() {
	local st=$1 src=$2 dest=$3 lib deps
	[ -e "$src" ] || die "missing file: $src"
	deps=$(elf_deps "$src") || die "cannot resolve the libraries of $src"
	install -D -m 0755 "$src" "$st/$dest"
	# debug info only slows the initramfs down (symbols stay for backtraces)
	if [ -n "${NSK_STRIP:-}" ] && [ -n "$deps" ] && command -v strip >/dev/null; then
		strip --strip-debug "$st/$dest" 2>/dev/null || true
	fi
	for lib in $deps; do
		[ -e "$st$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$st$lib"
	done
}

# mkcpio DIR OUT: newc archive of DIR, owned by root.
mkcpio() {
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) > "$2"
}

# default_kver: newest installed kernel with both an image and a build tree.
default_kver() { "$NSK_REPO/scripts/kdir.sh"; }
