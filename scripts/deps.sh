#!/usr/bin/env bash
# Installs what onair needs and is missing, with Debian's packages.
# Usage: scripts/deps.sh [--optional] COMPONENT...
#   components: go ffmpeg postgresql npm chromium nginx-rtmp apache2
#   --optional: a component that cannot be installed is a warning, not a failure.
set -euo pipefail

optional=0
if [ "${1:-}" = "--optional" ]; then optional=1; shift; fi

have_postgres() { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; }

missing_pkgs=()
for c in "$@"; do
  case "$c" in
    go)
      if ! command -v go >/dev/null 2>&1; then
        echo "onair: Go is not installed. Install Go 1.26 or newer (https://go.dev/doc/install) and run make again." >&2
        exit 1
      fi ;;
    ffmpeg) command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 || missing_pkgs+=(ffmpeg) ;;
    postgresql) have_postgres || missing_pkgs+=(postgresql) ;;
    npm) command -v npm >/dev/null 2>&1 || missing_pkgs+=(nodejs npm) ;;
    chromium) command -v chromium >/dev/null 2>&1 || missing_pkgs+=(chromium) ;;
    # nginx with Debian's RTMP module: the peer destinations are tested
    # against and benchmarks measure against. Where there is no init system
    # the package starts no nginx; tests start their own on free ports.
    nginx-rtmp) [ -f /usr/lib/nginx/modules/ngx_rtmp_module.so ] || missing_pkgs+=(libnginx-mod-rtmp) ;;
    # Apache httpd with mod_dav and mod_auth_digest: the Digest WebDAV target
    # HLS push is tested against; tests start their own.
    apache2) [ -f /usr/lib/apache2/modules/mod_dav_fs.so ] || missing_pkgs+=(apache2) ;;
    *) echo "deps.sh: unknown component $c" >&2; exit 2 ;;
  esac
done
[ ${#missing_pkgs[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; else sudo="none"; fi
fi
if [ "$sudo" = "none" ] || ! command -v apt-get >/dev/null 2>&1; then
  msg="onair: missing ${missing_pkgs[*]}; install them with your package manager (on Debian: sudo apt-get install ${missing_pkgs[*]})."
  if [ $optional -eq 1 ]; then echo "warning: $msg" >&2; exit 0; fi
  echo "$msg" >&2; exit 1
fi
echo "onair: installing ${missing_pkgs[*]} with apt-get"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing_pkgs[@]}" >/dev/null; then
  msg="onair: apt-get could not install ${missing_pkgs[*]}"
  if [ $optional -eq 1 ]; then echo "warning: $msg" >&2; exit 0; fi
  echo "$msg" >&2; exit 1
fi
