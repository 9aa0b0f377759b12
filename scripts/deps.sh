#!/usr/bin/env bash
# Copyright The Sluice Authors
# SPDX-License-Identifier: Apache-2.0
#
# deps.sh — install the Debian packages that Sluice's tests and benchmarks
# need, and only those that are missing. A second run is instant: it only
# looks for the packages' commands (command -v) and asks dpkg, it does not
# call apt-get unless something is missing.
#
# Usage: scripts/deps.sh [--check] [-h] [group...]
#
# Groups (default: all of them):
#   net      netcat-openbsd (nc), socat, curl, openssl
#   http     nghttp2-client (nghttp, h2load), wrk
#   kafka    kcat
#   browser  chromium, chromium-driver (chromedriver)
#   jvm      openjdk-17-jdk-headless (java), maven (mvn) — scripts/kafka.sh
#   all      every group above
#
# --check  install nothing; list what is missing and exit 1 if anything is.
#
# Runs apt-get directly as root, through sudo otherwise. It first tries
# `apt-get install -y --no-install-recommends`; only when that fails (for
# example on a fresh machine with no package lists) does it run
# `apt-get update` and try once more.
set -euo pipefail

prog=deps.sh

usage() {
	sed -n '/^# Usage:/,/^# Runs apt-get/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
}

# package -> the commands that show it is installed (space separated).
declare -A cmds=(
	[netcat-openbsd]="nc"
	[socat]="socat"
	[curl]="curl"
	[openssl]="openssl"
	[nghttp2-client]="nghttp h2load"
	[wrk]="wrk"
	[kcat]="kcat"
	[chromium]="chromium"
	[chromium-driver]="chromedriver"
	[openjdk-17-jdk-headless]="java"
	[maven]="mvn"
)

# group -> packages.
declare -A groups=(
	[net]="netcat-openbsd socat curl openssl"
	[http]="nghttp2-client wrk"
	[kafka]="kcat"
	[browser]="chromium chromium-driver"
	[jvm]="openjdk-17-jdk-headless maven"
)
group_order=(net http kafka browser jvm)

check_only=0
want=()
for arg in "$@"; do
	case "$arg" in
	-h | --help)
		usage
		exit 0
		;;
	--check) check_only=1 ;;
	all) want+=("${group_order[@]}") ;;
	*)
		if [[ -z "${groups[$arg]+x}" ]]; then
			echo "$prog: unknown group '$arg' (groups: ${group_order[*]} all)" >&2
			exit 2
		fi
		want+=("$arg")
		;;
	esac
done
if ((${#want[@]} == 0)); then
	want=("${group_order[@]}")
fi

# has_pkg PKG: true when every command of PKG is on PATH, or dpkg says the
# package is installed.
has_pkg() {
	local pkg=$1 c ok=1
	for c in ${cmds[$pkg]}; do
		if ! command -v "$c" >/dev/null 2>&1; then
			ok=0
			break
		fi
	done
	if ((ok)); then
		return 0
	fi
	if command -v dpkg-query >/dev/null 2>&1 &&
		[[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)" == "install ok installed" ]]; then
		return 0
	fi
	return 1
}

missing=()
declare -A seen=()
for g in "${want[@]}"; do
	for pkg in ${groups[$g]}; do
		[[ -n "${seen[$pkg]+x}" ]] && continue
		seen[$pkg]=1
		has_pkg "$pkg" || missing+=("$pkg")
	done
done

if ((${#missing[@]} == 0)); then
	echo "$prog: all packages present (${want[*]})"
	exit 0
fi

if ((check_only)); then
	echo "$prog: missing: ${missing[*]}" >&2
	exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
	echo "$prog: missing ${missing[*]}, and apt-get is not available: install them by hand" >&2
	exit 1
fi

sudo=()
if ((EUID != 0)); then
	if ! command -v sudo >/dev/null 2>&1; then
		echo "$prog: missing ${missing[*]}: run as root or install sudo" >&2
		exit 1
	fi
	if [[ -t 0 ]]; then
		sudo=(sudo)
	else
		sudo=(sudo -n) # no terminal to ask a password on: fail instead of hanging
	fi
fi

apt_install() {
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get -o DPkg::Lock::Timeout=300 -y -q --no-install-recommends install "${missing[@]}"
}

log=$(mktemp "${TMPDIR:-/tmp}/sluice-deps.XXXXXX")
trap 'rm -f "$log"' EXIT
echo "$prog: installing ${missing[*]}" >&2
if ! apt_install >"$log" 2>&1; then
	echo "$prog: apt-get install failed; running apt-get update and retrying" >&2
	if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get -o DPkg::Lock::Timeout=300 -q update >>"$log" 2>&1 ||
		! apt_install >>"$log" 2>&1; then
		tail -n 40 "$log" >&2
		echo "$prog: could not install ${missing[*]}" >&2
		exit 1
	fi
fi

rc=0
for pkg in "${missing[@]}"; do
	if has_pkg "$pkg"; then
		echo "$prog: installed $pkg"
	else
		echo "$prog: $pkg installed but '${cmds[$pkg]}' still not on PATH" >&2
		rc=1
	fi
done
exit $rc
