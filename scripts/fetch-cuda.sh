#!/usr/bin/env bash
# fetch-cuda.sh: fetch what building Collegium with -tags gpu needs (cuda.h, the
# libcuda.so link stub, nvcc/ptxas 11.8) from Debian's non-free component, into
# .cache/cuda. Idempotent: a second run only prints the flags.
#
# The apt sources are DERIVED from this machine's own Debian sources (same URIs,
# suites and signing keys, components widened to "main contrib non-free"), and
# apt runs with its own state, lists and cache directories under .cache/apt, so
# the system's apt configuration is untouched. No mirror address is written here.
#
# Usage: scripts/fetch-cuda.sh            fetch (if needed) and print the flags
#        eval "$(scripts/fetch-cuda.sh --env)"   export CGO_CFLAGS/CGO_LDFLAGS/PATH
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="$root/.cache"
dest="$cache/cuda"
apt_dir="$cache/apt"
debs="$cache/cuda-debs"
packages=(nvidia-cuda-dev nvidia-cuda-toolkit libnvvm4)
stamp="$dest/.complete"
want_stamp="v4 ${packages[*]}"

log() { echo "fetch-cuda: $*" >&2; }

derive_sources() {
	# deb822 files: keep every field, widen Components.
	local out="$1" f found=0
	: >"$out"
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -e "$f" ] || continue
		awk 'BEGIN{IGNORECASE=1}
			/^[[:space:]]*#/ {next}
			/^Components:/ {print "Components: main contrib non-free"; next}
			{print}
			END{print ""}' "$f" >>"$out"
		found=1
	done
	local list
	for list in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -e "$list" ] || continue
		# one-line format: deb [options] URI suite components...
		awk '/^[[:space:]]*deb[[:space:]]/ {
				line = $0; opts = ""
				if (match(line, /\[[^]]*\]/)) { opts = substr(line, RSTART, RLENGTH); line = substr(line, 1, RSTART-1) substr(line, RSTART+RLENGTH) }
				n = split(line, f, /[[:space:]]+/)
				uri = ""; suite = ""
				for (i = 1; i <= n; i++) { if (f[i] == "" || f[i] == "deb") continue; if (uri == "") uri = f[i]; else if (suite == "") { suite = f[i]; break } }
				if (uri != "" && suite != "") { print "deb " opts " " uri " " suite " main contrib non-free"; found = 1 }
			}' "$list" >>"$out.list"
	done
	if [ -s "$out.list" ]; then
		found=1
	fi
	[ "$found" = 1 ] || { log "no Debian apt sources found under /etc/apt"; return 1; }
}

fetch() {
	mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/etc/sources.list.d" "$debs"
	local src="$apt_dir/etc/sources.list.d/cuda.sources"
	rm -f "$src" "$src.list" "$apt_dir/etc/sources.list.d/cuda.list"
	derive_sources "$src"
	if [ -s "$src.list" ]; then
		mv "$src.list" "$apt_dir/etc/sources.list.d/cuda.list"
	else
		rm -f "$src.list"
	fi
	[ -s "$src" ] || rm -f "$src"
	local opts=(
		-o "Dir::Etc::SourceList=/dev/null"
		-o "Dir::Etc::SourceParts=$apt_dir/etc/sources.list.d"
		-o "Dir::State::Lists=$apt_dir/lists"
		-o "Dir::Cache=$apt_dir/cache"
		-o "Dir::Cache::pkgcache="
		-o "Dir::Cache::srcpkgcache="
		-o "APT::Sandbox::User=root"
		-o "Debug::NoLocking=1"
		-q
	)
	log "apt-get update (private state in $apt_dir)"
	apt-get "${opts[@]}" update >&2
	log "apt-get download ${packages[*]}"
	(cd "$debs" && apt-get "${opts[@]}" download "${packages[@]}" >&2)
}

extract() {
	local tmp="$cache/cuda.tmp" deb
	rm -rf "$tmp"
	mkdir -p "$tmp"
	for deb in "$debs"/*.deb; do
		log "extracting $(basename "$deb")"
		dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" --wildcards \
			--exclude='./usr/lib/nvidia-cuda-toolkit/compute-sanitizer*' \
			'./usr/include*' './usr/lib/x86_64-linux-gnu/stubs*' './usr/lib/nvidia-cuda-toolkit*' \
			'./usr/lib/x86_64-linux-gnu/libnvvm*' './usr/bin*' 2>/dev/null || true
	done
	# The packaged nvcc.profile is a link to /etc (ours points into this tree),
	# and the packaged gcc/g++ wrappers insist on gcc ≤ 11 (nvcc then uses the
	# system gcc with -allow-unsupported-compiler).
	local bin="$tmp/usr/lib/nvidia-cuda-toolkit/bin"
	rm -f "$bin/nvcc.profile" "$bin/gcc" "$bin/g++" "$tmp/usr/bin/nvcc"
	cat >"$bin/nvcc.profile" <<-'EOF'
		NVVMIR_LIBRARY_DIR = $(_HERE_)/../libdevice
		PATH += $(_HERE_):$(_HERE_)/../../../bin:
		INCLUDES += "-I$(_HERE_)/../../../include" $(_SPACE_)
		LIBRARIES =+ $(_SPACE_) "-L$(_HERE_)/../../x86_64-linux-gnu/stubs"
	EOF
	rm -rf "$dest"
	mv "$tmp" "$dest"
}

print_flags() {
	local inc="$dest/usr/include" stubs="$dest/usr/lib/x86_64-linux-gnu/stubs"
	[ -f "$inc/cuda.h" ] || { log "cuda.h missing from $inc"; return 1; }
	[ -f "$stubs/libcuda.so" ] || { log "libcuda.so stub missing from $stubs"; return 1; }
	if [ "${1:-}" = --env ]; then
		echo "export CGO_CFLAGS='-I$inc'"
		echo "export CGO_LDFLAGS='-L$stubs'"
		echo "export CUDA_BIN='$dest/usr/lib/nvidia-cuda-toolkit/bin'"
	else
		echo "CGO_CFLAGS=-I$inc"
		echo "CGO_LDFLAGS=-L$stubs"
		echo "CUDA_BIN=$dest/usr/lib/nvidia-cuda-toolkit/bin   (nvcc, ptxas)"
	fi
}

if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want_stamp" ]; then
	if ! ls "$debs"/nvidia-cuda-dev_*.deb >/dev/null 2>&1 || ! ls "$debs"/nvidia-cuda-toolkit_*.deb >/dev/null 2>&1; then
		fetch
	fi
	extract
	echo "$want_stamp" >"$stamp"
fi
print_flags "${1:-}"
